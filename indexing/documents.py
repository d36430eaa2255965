"""A case study as plain data, cut into passages the embedding model can read whole."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# e5-small reads at most 512 tokens; French runs at about 1.5 XLM-R tokens per word, and each
# passage repeats the case title for context, so 220 words per chunk stays well inside the limit.
MAX_WORDS_PER_PASSAGE = 220

SECTION_ORDER = ("summary", "context", "solution", "results", "resources", "transferability")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


@dataclass(frozen=True)
class CaseDocument:
    """What the index needs to know about one case (built by the service from the database)."""

    case_id: int
    title: str
    summary: str
    sections: dict[str, str] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)  # filter fields: themes, status, year, …


@dataclass(frozen=True)
class Passage:
    case_id: int
    ordinal: int
    section: str
    text: str


def _chunks(text: str, max_words: int) -> list[str]:
    """Split on paragraphs, then sentences, then words, packing pieces up to max_words."""
    pieces: list[str] = []
    for paragraph in _PARAGRAPH_BREAK.split(text):
        words = paragraph.split()
        if len(words) <= max_words:
            pieces.append(paragraph)
            continue
        for sentence in _SENTENCE_END.split(paragraph):
            sentence_words = sentence.split()
            pieces.extend(
                " ".join(sentence_words[i : i + max_words]) for i in range(0, len(sentence_words), max_words)
            )
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for piece in pieces:
        n = len(piece.split())
        if n == 0:
            continue
        if current and size + n > max_words:
            chunks.append("\n\n".join(current))
            current, size = [], 0
        current.append(piece.strip())
        size += n
    if current:
        chunks.append("\n\n".join(current))
    return chunks


def split_passages(doc: CaseDocument, max_words: int = MAX_WORDS_PER_PASSAGE) -> list[Passage]:
    """Passage 0 is title + summary; then each section, chunked, prefixed with the title."""
    passages = [Passage(doc.case_id, 0, "summary", f"{doc.title}\n{doc.summary}".strip())]
    title_words = len(doc.title.split())
    for name in SECTION_ORDER[1:]:
        text = (doc.sections.get(name) or "").strip()
        if not text:
            continue
        for chunk in _chunks(text, max(50, max_words - title_words)):
            passages.append(Passage(doc.case_id, len(passages), name, f"{doc.title}\n{chunk}"))
    return passages
