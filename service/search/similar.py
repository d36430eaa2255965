"""Similar experiences and the duplicate check of a new case, from the title + summary passages.

Both compare the summary passage (title + summary) of cases, never body sections, so boilerplate
shared by many bodies (a closing sentence, a programme's standard text) does not pull cases
together, and near-empty pages (a title and one line) are left out of the neighbours: their vector
sits close to everything. The duplicate thresholds were calibrated on labelled pairs
(bench/duplicates/pairs.jsonl, `python bench/duplicates_eval.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from indexing.case_index import HIT_FIELDS, passage_point_id
from indexing.index_types import FieldFilter
from indexing.retrieval import CaseHit, group_by_case
from service.casestudies.models import CaseStudy
from service.search.service import PUBLISHED, load_cases
from service.search_engine.documents import case_document
from service.search_engine.engine import SearchEngine

NEAR_COPY = 0.97  # cosine above which a case is the same text, not a "similar experience"
# Duplicate check, calibrated on bench/duplicates/pairs.jsonl (python bench/duplicates_eval.py):
# e5 cosines sit near 0.9 for any two French texts, so e5 alone flagged everything at 0.88;
# the second encoder's cosines are spread wide and confirm a real rephrasing.
DUPLICATE_E5 = 0.92  # and the second encoder's cosine reaches DUPLICATE_SECOND
DUPLICATE_SECOND = 0.42  # 20 copies + 20 new subjects: precision 0.91, recall 1.00
DUPLICATE_SECOND_PROBABLE = 0.6  # precision 0.94, recall 0.80
DUPLICATE_E5_ALONE = 0.93  # without a second encoder: precision 0.89, recall 0.80
DUPLICATE_E5_ALONE_PROBABLE = 0.95
# A summary passage this short is a title and a line ("Programme national d'investigation (12)"):
# not a neighbour worth showing.
NEAR_EMPTY_WORDS = 12
MAX_NEIGHBOURS = 400  # summary passages read at most to find the neighbours


def _summary_vector(engine: SearchEngine, case: CaseStudy) -> Any:
    stored = engine.index.retrieve_vectors([passage_point_id(case.id, 0)])
    if stored:
        return next(iter(stored.values()))
    doc = case_document(case, distinctions=[])  # not indexed yet: embed the same text the index would hold
    return engine.embedder.embed_passages([f"{doc.title}\n{doc.summary}"])[0]


def _nearest_summaries(
    engine: SearchEngine, vector: Any, *, exclude: Sequence[int], limit: int
) -> list[CaseHit]:
    flt = FieldFilter(
        any_of={"publication_state": [PUBLISHED], "section": ["summary"]},
        none_of={"case_id": list(exclude)} if exclude else {},
    )
    hits = engine.index.query(
        dense=vector, sparse=None, flt=flt, limit=limit, mode="dense", payload_fields=HIT_FIELDS, exact=True
    )
    return group_by_case(hits)


def similar_cases(
    session: Session, engine: SearchEngine, *, case: CaseStudy, limit: int
) -> list[tuple[CaseStudy, float]]:
    vector = _summary_vector(engine, case)
    wanted = limit * 3
    while True:  # near-empty pages and near-copies are skipped: widen until `limit` neighbours remain
        nearest = _nearest_summaries(engine, vector, exclude=[case.id], limit=wanted)
        hits = [
            h
            for h in nearest
            if int(h.best.payload.get("words", NEAR_EMPTY_WORDS)) >= NEAR_EMPTY_WORDS
            if h.score < NEAR_COPY
        ]
        if len(hits) >= limit or len(nearest) < wanted or wanted >= MAX_NEIGHBOURS:
            break
        wanted = min(wanted * 4, MAX_NEIGHBOURS)
    cases = load_cases(session, [h.case_id for h in hits])
    return [(cases[h.case_id], h.score) for h in hits if h.case_id in cases][:limit]


def likely_duplicates(
    session: Session, engine: SearchEngine, *, title: str, summary: str, exclude_id: int | None
) -> list[tuple[CaseStudy, float, str]]:
    """Published cases whose title + summary say the same thing, with "probable" or "possible".

    The score shown is the second encoder's cosine when there is one (else e5's)."""
    text = f"{title}\n{summary}".strip()
    vector = engine.embedder.embed_passages([text])[0]
    exclude = [exclude_id] if exclude_id is not None else []
    hits = _nearest_summaries(engine, vector, exclude=exclude, limit=10)
    flagged: list[tuple[CaseHit, float, str]] = []
    if engine.second is None:
        for h in hits:
            if h.score >= DUPLICATE_E5_ALONE:
                level = "probable" if h.score >= DUPLICATE_E5_ALONE_PROBABLE else "possible"
                flagged.append((h, h.score, level))
    else:
        near = [h for h in hits if h.score >= DUPLICATE_E5]
        stored = engine.second.index.retrieve_vectors([h.best.point_id for h in near])
        mine = engine.second.embedder.embed_passages([text])[0]
        for h in near:
            other = stored.get(h.best.point_id)
            if other is None:
                continue
            cosine = float(mine @ other)
            if cosine >= DUPLICATE_SECOND:
                flagged.append((h, cosine, "probable" if cosine >= DUPLICATE_SECOND_PROBABLE else "possible"))
        flagged.sort(key=lambda f: (-f[1], f[0].case_id))
    cases = load_cases(session, [h.case_id for h, _, _ in flagged])
    return [(cases[h.case_id], score, level) for h, score, level in flagged if h.case_id in cases]
