"""Search filters and labels, similar cases and duplicate detection (search itself: pipeline.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexing.case_index import passage_point_id
from indexing.index_types import FieldFilter
from indexing.retrieval import CaseHit, group_by_case
from service.api.errors import InvalidFieldError
from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
from service.search.documents import case_document
from service.search.engine import SearchEngine
from service.territories.models import TerritoryKind

PUBLISHED = PublicationState.published.value
STATUS_LABELS = {
    ProjectStatus.idea: "Idée",
    ProjectStatus.pilot: "Expérimentation",
    ProjectStatus.deployed: "Déployé",
    ProjectStatus.generalised: "Généralisé",
    ProjectStatus.stopped: "Arrêté",
}
KIND_LABELS = {
    TerritoryKind.commune: "Commune",
    TerritoryKind.epci: "Intercommunalité",
    TerritoryKind.ept: "Établissement public territorial",
    TerritoryKind.departement: "Département",
    TerritoryKind.region: "Région",
    TerritoryKind.syndicat_mixte: "Syndicat mixte",
    TerritoryKind.other: "Autre",
}
# API parameter -> payload field of the index.
FILTER_FIELDS = {
    "theme": "themes",
    "territory_kind": "territory_kinds",
    "territory": "territory_codes",
    "departement": "departements",
    "region": "regions",
    "population_band": "population_bands",
    "status": "status",
    "year": "year",
}
NEAR_COPY = 0.97  # cosine above which a case is the same text, not a "similar experience"
DUPLICATE_PROBABLE = 0.93
DUPLICATE_POSSIBLE = 0.88


@dataclass
class SearchFilters:
    values: dict[str, list[str | int]] = field(default_factory=dict)

    def to_index_filter(self, *, exclude: str | None = None) -> FieldFilter:
        any_of: dict[str, Sequence[str | int]] = {"publication_state": [PUBLISHED]}
        for param, values in self.values.items():
            if values and param != exclude:
                any_of[FILTER_FIELDS[param]] = values
        return FieldFilter(any_of=any_of)


@dataclass
class FoundCase:
    case: CaseStudy
    score: float
    snippet: str
    section: str


@dataclass
class SearchResult:
    items: list[FoundCase]
    total: int
    facets: dict[str, list[dict[str, Any]]]


def check_query(q: str, max_chars: int) -> str:
    q = " ".join(q.split())
    if not q:
        raise InvalidFieldError("la recherche est vide : tapez quelques mots", field="q")
    if len(q) > max_chars:
        raise InvalidFieldError(f"la recherche dépasse {max_chars} caractères", field="q")
    return q


def load_cases(session: Session, ids: Sequence[int]) -> dict[int, CaseStudy]:
    """Cases by id, re-checking visibility in the database (the index may lag behind it)."""
    if not ids:
        return {}
    rows = session.scalars(
        select(CaseStudy).where(
            CaseStudy.id.in_(ids), CaseStudy.publication_state == PublicationState.published
        )
    )
    return {c.id: c for c in rows}


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
    hits = engine.index.query(dense=vector, sparse=None, flt=flt, limit=limit, mode="dense")
    return group_by_case(hits)


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
