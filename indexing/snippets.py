"""Search snippets: whole sentences of a passage that best answer the query, with its meaningful
words highlighted.

Markdown-aware: headings, list markers, emphasis, links and images are read as text structure,
not flattened into the sentence ("## Problème" followed by "Problème utilisateurs…" never becomes
"Problème Problème utilisateurs…": headings are dropped). Only words that carry meaning are
marked: stop words, very common words of case studies ("projet", "commune", "numérique"…) and
short words are never highlighted. For a query in another language than French, the query's own
stemmer is used and words sharing their first letters with a query word (cognates: "pollen",
"compost", "cyber") are matched; when nothing matches, the passage's opening sentences are shown.
The result is HTML-escaped, with matches in <mark>…</mark>.
"""

from __future__ import annotations

import functools
import html
import re
import threading
import unicodedata

import snowballstemmer

from indexing.sparse import STOP_WORDS, strip_accents

MAX_CHARS = 260
MIN_WORD = 4
COGNATE_PREFIX = 5
_STEMMER_NAMES = {
    "fr": "french",
    "en": "english",
    "es": "spanish",
    "de": "german",
    "it": "italian",
    "pt": "portuguese",
    "nl": "dutch",
}
# Words so frequent in case studies that marking them says nothing (accent-stripped, lower case).
_GENERIC = """
    projet projets commune communes collectivite collectivites territoire territoires numerique
    service services public publics publique publiques outil outils plateforme solution solutions
    permettre permet faciliter ameliorer agents usagers donnees mise place faire aide aider
    contexte probleme objectif objectifs besoin besoins france etat ville villes habitants
"""
GENERIC_WORDS = frozenset(_GENERIC.split())
_WORD = re.compile(r"[^\W_]+")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(.+?)(\*\*|__)\s*:?\s*$")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_AUTOLINK = re.compile(r"<https?://[^>]+>|https?://\S+")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"(A-ZÀ-ÖØ-Þ0-9])")


_LOCAL = threading.local()


def _stemmer(lang: str) -> snowballstemmer.stemmer:
    """One stemmer per thread and language: a snowball stemmer keeps the word being stemmed on itself,
    so concurrent searches sharing one garbled each other's words (IndexError, a 500 under a burst)."""
    cache: dict[str, snowballstemmer.stemmer] = _LOCAL.__dict__.setdefault("stemmers", {})
    if lang not in cache:
        cache[lang] = snowballstemmer.stemmer(_STEMMER_NAMES.get(lang, "french"))
    return cache[lang]


# A snippet folds and stems every word of a result's text: the same few thousand words, search after
# search. Both are cached (measured over HTTP: they were most of a search's own time).
@functools.lru_cache(maxsize=200_000)
def _stem(lang: str, folded: str) -> str:
    return _stemmer(lang).stemWord(folded)


@functools.lru_cache(maxsize=200_000)
def _fold(word: str) -> str:
    return strip_accents(unicodedata.normalize("NFC", word).lower())


def _meaningful(folded: str) -> bool:
    return len(folded) >= MIN_WORD and folded not in STOP_WORDS and folded not in GENERIC_WORDS


def _plain_blocks(markdown: str) -> list[str]:
    """Text blocks (paragraphs, list items) of a Markdown passage, headings left out."""
    blocks: list[str] = []
    current: list[str] = []

    def close() -> None:
        if current:
            blocks.append(" ".join(current))
            current.clear()

    for raw in markdown.splitlines():
        line = raw.strip()
        if not line or _HEADING.match(line) or _BOLD_LINE.match(line) or set(line) <= set("-*_=|: "):
            close()
            continue
        if _LIST_MARKER.match(line):
            close()
            line = _LIST_MARKER.sub("", line)
        line = _IMAGE.sub("", line)
        line = _LINK.sub(r"\1", line)
        line = _AUTOLINK.sub("", line)
        line = _TAG.sub("", line)
        line = _EMPHASIS.sub("", line).replace("\\", "")
        if line.strip():
            current.append(line.strip())
    close()
    return [" ".join(b.split()) for b in blocks if b.strip()]


def _sentences(markdown: str) -> list[str]:
    out: list[str] = []
    for block in _plain_blocks(markdown):
        parts = [s.strip() for s in _SENTENCE_END.split(block) if s.strip()]
        if parts and not parts[-1].endswith((".", "!", "?", "…", ":", ";")):
            parts[-1] += " —"  # a list item or a line without a full stop: keep it apart
        out.extend(parts)
    return out


@functools.lru_cache(maxsize=1024)  # a page of results reads the same query's keys once per snippet
def _query_keys(query: str, lang: str) -> tuple[frozenset[str], frozenset[str]]:
    """(stems, cognate prefixes) of the meaningful query words."""
    stems: set[str] = set()
    prefixes: set[str] = set()
    for m in _WORD.finditer(query):
        folded = _fold(m.group())
        if not _meaningful(folded):
            continue
        stems.add(_stem(lang, folded))
        if lang != "fr" and len(folded) >= COGNATE_PREFIX:
            prefixes.add(folded[:COGNATE_PREFIX])
    return frozenset(stems), frozenset(prefixes)


# A passage's sentences, their meaningful words (position, folded form, French stem) and the set of
# those stems do not depend on the query: analysed once per text, a snippet then only compares stems
# (measured over HTTP, 8 clients: re-reading the same ten passages was a tenth of a search's time).
Word = tuple[int, int, str, str]


@functools.lru_cache(maxsize=4096)
def _analysed(text: str) -> tuple[tuple[str, tuple[Word, ...], frozenset[str]], ...]:
    out = []
    for sentence in _sentences(text):
        words = []
        for m in _WORD.finditer(sentence):
            folded = _fold(m.group())
            if _meaningful(folded):
                words.append((m.start(), m.end(), folded, _stem("fr", folded)))
        out.append((sentence, tuple(words), frozenset(w[3] for w in words)))
    return tuple(out)


def _matches(
    words: tuple[Word, ...], stems: frozenset[str], prefixes: frozenset[str], lang: str
) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    for start, end, folded, stem in words:
        key = None
        if stem in stems:
            key = stem
        elif lang != "fr" and _stem(lang, folded) in stems:
            key = _stem(lang, folded)
        elif len(folded) >= COGNATE_PREFIX and folded[:COGNATE_PREFIX] in prefixes:
            key = folded[:COGNATE_PREFIX]
        if key is not None:
            found.append((start, end, key))
    return found


def make_snippet(text: str, query: str, lang: str | None = None, *, max_chars: int = MAX_CHARS) -> str:
    """HTML-safe snippet: the run of whole sentences (about max_chars at most) that holds the most
    distinct meaningful query words, those words in <mark>; the opening sentences when none match.
    A single sentence longer than max_chars is cut at a word boundary and ends with "…"."""
    lang = lang if lang in _STEMMER_NAMES else "fr"
    analysed = _analysed(text)
    if not analysed:
        return ""
    sentences = [sentence for sentence, _, _ in analysed]
    stems, prefixes = _query_keys(query, lang)
    # A French query without cognate prefixes can only match a sentence through its French stems: the
    # sentences that share none (most of them) skip the word by word comparison.
    stems_only = lang == "fr" and not prefixes
    matches = [
        [] if stems_only and stems.isdisjoint(french_stems) else _matches(words, stems, prefixes, lang)
        for _, words, french_stems in analysed
    ]
    best_start, best_key = 0, (0, 0, 0)
    for i in range(len(sentences)):
        keys: set[str] = set()
        hits = 0
        size = 0
        for j in range(i, len(sentences)):
            size += len(sentences[j]) + 1
            if j > i and size > max_chars:
                break
            keys |= {k for _, _, k in matches[j]}
            hits += len(matches[j])
        key = (len(keys), hits, -i)
        if key > best_key:
            best_start, best_key = i, key
    parts: list[str] = []
    size = 0
    for j in range(best_start, len(sentences)):
        if parts and size + len(sentences[j]) + 1 > max_chars:
            break
        parts.append(_render(sentences[j], matches[j], max_chars))
        size += len(sentences[j]) + 1
    prefix = "… " if best_start > 0 else ""
    return (prefix + " ".join(parts)).removesuffix(" —")


def _render(sentence: str, found: list[tuple[int, int, str]], max_chars: int) -> str:
    cut = len(sentence)
    if cut > max_chars:
        space = sentence.rfind(" ", 0, max_chars)
        cut = space if space > 0 else max_chars
    out: list[str] = []
    cursor = 0
    for start, end, _ in found:
        if end > cut:
            break
        out.append(html.escape(sentence[cursor:start]))
        out.append(f"<mark>{html.escape(sentence[start:end])}</mark>")
        cursor = end
    out.append(html.escape(sentence[cursor:cut]))
    if cut < len(sentence):
        out.append(" …")
    return "".join(out)
