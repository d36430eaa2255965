"""Search on top of the index and the database (similar cases and duplicates: similar.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexing.index_types import FieldFilter, SearchMode
from indexing.query_language import detect_language
from indexing.retrieval import CaseHit
from indexing.snippets import make_snippet
from service.api.errors import InvalidFieldError
from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
from service.search.engine import SearchEngine
from service.territories.bands import BAND_LABELS
from service.territories.codes import departement_key, region_key
from service.territories.models import Territory, TerritoryKind
from service.themes.models import Theme

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
FACET_FIELDS = ("theme", "territory_kind", "departement", "region", "population_band", "status", "year")


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


def passage_texts(engine: SearchEngine, hits: Sequence[CaseHit]) -> dict[str, str]:
    """Texts of the hits' best passages (a page's worth), read from the index by case."""
    if not hits:
        return {}
    wanted = {h.best.point_id for h in hits}
    flt = FieldFilter(any_of={"case_id": [h.case_id for h in hits]})
    return {
        pid: str(payload.get("text", ""))
        for pid, payload in engine.index.scroll_payloads(["text"], flt)
        if pid in wanted
    }


def _snippet(text: str, q: str) -> str:
    _, _, body = text.partition("\n")  # every passage starts with the case title
    return make_snippet(body or text, q, detect_language(q).lang)


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


def search(
    session: Session,
    engine: SearchEngine,
    *,
    q: str,
    filters: SearchFilters,
    mode: SearchMode,
    page: int,
    page_size: int,
    rerank: Callable[[list[CaseHit]], list[CaseHit]] | None = None,
) -> SearchResult:
    hits = engine.retriever.search(q, flt=filters.to_index_filter(), mode=mode)
    if rerank is not None:  # e.g. for_territory= (service/territories/boost.py), before paging
        hits = rerank(hits)
    start = (page - 1) * page_size
    window = hits[start : start + page_size]
    cases = load_cases(session, [h.case_id for h in window])
    texts = passage_texts(engine, window)
    items = [
        FoundCase(
            case=cases[h.case_id],
            score=h.score,
            snippet=_snippet(texts.get(h.best.point_id, ""), q),
            section=str(h.best.payload["section"]),
        )
        for h in window
        if h.case_id in cases
    ]
    return SearchResult(items=items, total=len(hits), facets=facet_counts(session, hits))


def facet_counts(session: Session, hits: Sequence[CaseHit]) -> dict[str, list[dict[str, Any]]]:
    """Counts of cases per filter value among the results (one count per case, not per passage)."""
    counters: dict[str, Counter[str]] = {name: Counter() for name in FACET_FIELDS}
    for hit in hits:
        for name in FACET_FIELDS:
            value = hit.payload.get(FILTER_FIELDS[name])
            values = value if isinstance(value, list) else ([value] if value is not None else [])
            counters[name].update(str(v) for v in values)
    labels = facet_labels(session, counters)
    return {
        name: [
            {"value": value, "label": labels[name].get(value, value), "count": count}
            for value, count in counter.most_common(30 if name != "year" else None)
        ]
        for name, counter in counters.items()
    }


def facet_labels(session: Session, counters: dict[str, Counter[str]]) -> dict[str, dict[str, str]]:
    theme_labels = dict(
        session.execute(select(Theme.slug, Theme.label).where(Theme.slug.in_(list(counters["theme"])))).all()
    )
    codes = [departement_key(c) for c in counters["departement"]] + [
        region_key(c) for c in counters["region"]
    ]
    names = dict(
        session.execute(select(Territory.code, Territory.name).where(Territory.code.in_(codes))).all()
    )
    return {
        "theme": theme_labels,
        "territory_kind": {k.value: v for k, v in KIND_LABELS.items()},
        "departement": {c: f"{names.get(departement_key(c), c)} ({c})" for c in counters["departement"]},
        "region": {c: names.get(region_key(c), c) for c in counters["region"]},
        "population_band": dict(BAND_LABELS),
        "status": {k.value: v for k, v in STATUS_LABELS.items()},
        "year": {},
    }
