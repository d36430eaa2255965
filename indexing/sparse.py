"""French-first lexical analyser: text -> stems -> sparse vectors for Qdrant, plus highlighting.

Pipeline per word: NFC, lower case, split on non-alphanumerics, strip accents, drop French and
English stop words, Snowball French stem, drop a final "e" of the stem. Accents are stripped
*before* stemming so that "collectivite" typed without accents meets "collectivités" in a case
study (Snowball gives different stems for accented and unaccented spellings); the final-"e" rule
re-joins the pairs this costs ("mutualisée" -> "mutualise" vs "mutualiser" -> "mutualis").

Term ids are an unkeyed blake2b hash of the stem into [0, 2**31): stable across processes and
machines (never Python's hash(), which is salted per process). Collisions merge two stems: rare
at 31 bits and harmless for ranking. IDF is applied by Qdrant (sparse modifier), so documents carry
only a saturated term frequency and queries carry 1.0 per unique term.
"""

from __future__ import annotations

import hashlib
import html
import re
import threading
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Any

import snowballstemmer

from indexing.index_types import SparseVector

BM25_K1 = 1.2
MIN_TOKEN_LEN = 2
_WORD = re.compile(r"[^\W_]+")
# A snowball stemmer keeps its word in instance state: one per thread (searches run in parallel threads;
# a shared one raised IndexError under load).
_STEMMERS = threading.local()


def _stemmer() -> Any:
    stemmer = getattr(_STEMMERS, "french", None)
    if stemmer is None:
        stemmer = _STEMMERS.french = snowballstemmer.stemmer("french")
    return stemmer


_FRENCH_STOP = """
a afin ai aie aient aies ailleurs ait alors apres as assez au aucun aucune aujourd aupres aura aurai
auraient aurais aurait auras aurez auriez aurions aurons auront aussi autre autres aux avaient avais
avait avant avec avez aviez avions avoir avons ayant ayez ayons bien c ca car ce ceci cela celle
celles celui cependant certain certaine certaines certains ces cet cette ceux chaque chez ci comme
comment d dans de des deja depuis donc dont du elle elles en encore entre es est et etaient etais
etait etant ete etes etiez etions etre eu eue eues eurent eus eut eux fait faites fois font furent
fut ici il ils j je jusqu jusque l la laquelle le lequel les lesquelles lesquels leur leurs lors
lorsque lui m ma mais me meme memes mes moi moins mon n ne ni non nos notre nous on ont ou par parce
parmi pas pendant peu peut peuvent plus plusieurs pour pourquoi puis qu quand que quel quelle quelles
quels qui quoi s sa sans se sera serai seraient serais serait seras serez seriez serions serons
seront ses si sien sienne soi soient sois soit sommes son sont sous soyez soyons suis sur t ta tandis
te tel telle telles tels tes toi ton tous tout toute toutes tres tu un une unes uns vers via voici
voila vos votre vous y
"""

_ENGLISH_STOP = """
about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves
"""

STOP_WORDS: frozenset[str] = frozenset(_FRENCH_STOP.split()) | frozenset(_ENGLISH_STOP.split())


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


@lru_cache(maxsize=65_536)
def _stem_word(word: str) -> str | None:
    """Stem of one lower-cased word, or None for a stop word or a too-short token."""
    folded = strip_accents(word)
    if len(folded) < MIN_TOKEN_LEN or folded in STOP_WORDS:
        return None
    stem: str = _stemmer().stemWord(folded)
    if len(stem) > 3 and stem.endswith("e"):
        stem = stem[:-1]
    return stem


def analyze(text: str) -> list[str]:
    """Stems of the meaningful words of text, in order (repeats kept)."""
    stems = (_stem_word(m.group().lower()) for m in _WORD.finditer(unicodedata.normalize("NFC", text)))
    return [s for s in stems if s is not None]


def token_id(stem: str) -> int:
    digest = hashlib.blake2b(stem.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big") & 0x7FFF_FFFF


def _to_sparse(weights: dict[int, float]) -> SparseVector:
    indices = sorted(weights)
    return SparseVector(indices=indices, values=[weights[i] for i in indices])


def encode_document(text: str) -> SparseVector:
    """Saturated term frequency tf*(k1+1)/(tf+k1) per stem; no length norm (passages are short
    and of similar size)."""
    counts: Counter[int] = Counter(token_id(s) for s in analyze(text))
    return _to_sparse({i: tf * (BM25_K1 + 1) / (tf + BM25_K1) for i, tf in counts.items()})


def encode_query(text: str) -> SparseVector:
    """1.0 per unique stem: Qdrant's IDF modifier supplies the term weights."""
    return _to_sparse(dict.fromkeys((token_id(s) for s in analyze(text)), 1.0))


def highlight(text: str, query: str, *, max_chars: int = 240) -> str:
    """HTML-safe snippet of text (at most about max_chars characters of it) around the window
    holding the most distinct query stems, with matching words in <mark>...</mark>."""
    flat = " ".join(unicodedata.normalize("NFC", text).split())
    wanted = set(analyze(query))
    matches = [
        (m.start(), m.end(), stem)
        for m in _WORD.finditer(flat)
        if (stem := _stem_word(m.group().lower())) is not None and stem in wanted
    ]
    start, end = _best_window(flat, matches, max_chars)
    out: list[str] = ["…"] if start > 0 else []
    cursor = start
    for m_start, m_end, _ in matches:
        if m_start < start or m_end > end:
            continue
        out.append(html.escape(flat[cursor:m_start]))
        out.append(f"<mark>{html.escape(flat[m_start:m_end])}</mark>")
        cursor = m_end
    out.append(html.escape(flat[cursor:end]))
    if end < len(flat):
        out.append("…")
    return "".join(out)


def _best_window(flat: str, matches: list[tuple[int, int, str]], max_chars: int) -> tuple[int, int]:
    if len(flat) <= max_chars:
        return 0, len(flat)
    best = (0, 0, 0)  # (distinct stems, occurrences, index of first match)
    for i, (first_start, _, _) in enumerate(matches):
        inside = [m for m in matches[i:] if m[1] - first_start <= max_chars]
        score = (len({m[2] for m in inside}), len(inside))
        if score > best[:2]:
            best = (*score, i)
    if best[0] == 0:
        return 0, _snap_end(flat, max_chars)
    first = matches[best[2]]
    last_end = max(m[1] for m in matches[best[2] :] if m[1] - first[0] <= max_chars)
    # Spread the spare room on both sides of the matched span, then snap to word boundaries.
    spare = max_chars - (last_end - first[0])
    start = max(0, first[0] - spare // 2)
    end = min(len(flat), start + max_chars)
    start = max(0, end - max_chars)
    return _snap_start(flat, start, first[0]), _snap_end(flat, end, last_end)


def _snap_start(flat: str, start: int, limit: int) -> int:
    if start == 0 or not flat[start - 1].isalnum():
        return start
    space = flat.find(" ", start, limit)
    return limit if space == -1 else space + 1


def _snap_end(flat: str, end: int, floor: int = 0) -> int:
    if end >= len(flat) or not flat[end].isalnum():
        return end
    space = flat.rfind(" ", floor, end)
    return end if space == -1 else space
