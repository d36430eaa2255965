"""Similar experiences and the duplicate check of a new case, from the title + summary passages.

Both compare the summary passage (title + summary) of cases, never body sections, so boilerplate
shared by many bodies (a closing sentence, a programme's standard text) does not pull cases
together, and near-empty pages (a title and one line) are left out of the neighbours: their vector
sits close to everything. The duplicate thresholds were calibrated on labelled pairs
(bench/duplicates/, `python bench/duplicates_eval.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from indexing.case_index import HIT_FIELDS, passage_point_id
from indexing.index_types import FieldFilter
from indexing.relevance import SHORT_WORDS
from indexing.retrieval import CaseHit, group_by_case
from service.casestudies.models import CaseStudy
from service.search.documents import case_document
from service.search.engine import SearchEngine
from service.search.service import PUBLISHED, load_cases

NEAR_COPY = 0.97  # cosine above which a case is the same text, not a "similar experience"
DUPLICATE_PROBABLE = 0.93
DUPLICATE_POSSIBLE = 0.88


def _summary_vector(engine: SearchEngine, case: CaseStudy) -> Any:
    stored = engine.index.retrieve_vectors([passage_point_id(case.id, 0)])
    if stored:
        return next(iter(stored.values()))
    doc = case_document(case)  # not indexed yet: embed the same text the index would hold
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
    return group_by_case([h for h in hits if int(h.payload.get("words", SHORT_WORDS)) >= SHORT_WORDS])


def similar_cases(
    session: Session, engine: SearchEngine, *, case: CaseStudy, limit: int
) -> list[tuple[CaseStudy, float]]:
    vector = _summary_vector(engine, case)
    hits = [
        h
        for h in _nearest_summaries(engine, vector, exclude=[case.id], limit=limit * 3)
        if h.score < NEAR_COPY
    ]
    cases = load_cases(session, [h.case_id for h in hits])
    return [(cases[h.case_id], h.score) for h in hits if h.case_id in cases][:limit]


def likely_duplicates(
    session: Session, engine: SearchEngine, *, title: str, summary: str, exclude_id: int | None
) -> list[tuple[CaseStudy, float, str]]:
    vector = engine.embedder.embed_passages([f"{title}\n{summary}".strip()])[0]
    exclude = [exclude_id] if exclude_id is not None else []
    hits = [
        h
        for h in _nearest_summaries(engine, vector, exclude=exclude, limit=10)
        if h.score >= DUPLICATE_POSSIBLE
    ]
    cases = load_cases(session, [h.case_id for h in hits])
    return [
        (cases[h.case_id], h.score, "probable" if h.score >= DUPLICATE_PROBABLE else "possible")
        for h in hits
        if h.case_id in cases
    ]
