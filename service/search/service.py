"""Search filters and labels (search itself: pipeline.py; similar cases and duplicates: similar.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexing.index_types import FieldFilter
from service.casestudies.models import CaseStudy, PublicationState

PUBLISHED = PublicationState.published.value
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
    "distinction": "distinctions",
}


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
