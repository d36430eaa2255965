"""One search pipeline for the API, the page and its HTMX partial, the widget, the feeds and mutualisation.

A `SearchQuery` is parsed and validated once (`parse_query`); `run` returns typed results and facets:
  retriever (ids, scores and filter fields of the candidates, no text)
  -> optional territory boost, then the page window
  -> the page's cases in ONE query (the columns a result card shows, themes from the label cache)
  -> the passage text of the page's hits only, for the snippets
  -> facets counted in one pass over the candidates, labels from the in-memory cache
  -> the discussions, on the first page.
Everything happens in the caller's session (one per request).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from indexing.index_types import SearchMode
from indexing.query_language import detect_language
from indexing.retrieval import CaseHit
from indexing.snippets import make_snippet
from service.api.errors import InvalidFieldError
from service.api.text import check_query
from service.casestudies.models import (
    CaseStudy,
    ProjectStatus,
    PublicationState,
    case_territories,
    case_themes,
)
from service.casestudies.schemas import STATUS_LABELS
from service.contests import distinctions
from service.contests.schemas import DistinctionOut
from service.contests.service import distinctions as case_distinctions
from service.organisations.models import Organisation, OrganisationKind
from service.ratelimit.slots import Busy
from service.search import labels
from service.search.collection_results import CollectionResult, search_collections
from service.search.event_results import EventResult, search_events
from service.search.service import FILTER_FIELDS, SearchFilters
from service.search.thread_results import ThreadResult, search_threads
from service.search_engine.engine import SearchEngine
from service.territories.bands import BAND_LABELS
from service.territories.codes import departement_key, region_key
from service.territories.models import Territory, TerritoryKind
from service.territories.schemas import KIND_LABELS

log = logging.getLogger(__name__)
Searcher = TypeVar("Searcher")
Result = TypeVar("Result")

MAX_PAGE = 50
MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 10
FEED_SIZE = 20


@dataclass(frozen=True, slots=True)
class FacetSpec:
    name: str  # the query parameter
    legend: str  # shown on the page
    limit: int | None = 30  # values listed, most frequent first (None: all)


# Every facet, in display order: the API, the page and the exports read this list.
FACETS: tuple[FacetSpec, ...] = (
    FacetSpec("theme", "Thème"),
    FacetSpec("status", "État du projet"),
    FacetSpec("territory_kind", "Type de territoire"),
    FacetSpec("population_band", "Taille du territoire"),
    FacetSpec("region", "Région"),
    FacetSpec("departement", "Département"),
    FacetSpec("year", "Année", limit=None),
    FacetSpec("distinction", "Distinctions"),
)
FACET_NAMES = tuple(f.name for f in FACETS)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str
    filters: SearchFilters = field(default_factory=SearchFilters)
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    mode: SearchMode = "hybrid"
    for_territory: str | None = None  # code of the reader's territory: comparable territories go up
    discussions: bool = True  # the discussions matching the text, on the first page


def parse_query(
    text: str,
    *,
    max_chars: int,
    filters: SearchFilters | None = None,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    mode: SearchMode = "hybrid",
    for_territory: str | None = None,
    discussions: bool = True,
) -> SearchQuery:
    """The one place that checks a search: text (normalised, not empty, not too long), page limits."""
    if not 1 <= page <= MAX_PAGE:
        raise InvalidFieldError(f"la page va de 1 à {MAX_PAGE}", field="page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidFieldError(f"la taille de page va de 1 à {MAX_PAGE_SIZE}", field="page_size")
    return SearchQuery(
        text=check_query(text, max_chars),
        filters=filters or SearchFilters(),
        page=page,
        page_size=page_size,
        mode=mode,
        for_territory=for_territory or None,
        discussions=discussions,
    )


@dataclass(frozen=True, slots=True)
class ThemeCard:
    slug: str
    label: str
    description: str


@dataclass(frozen=True, slots=True)
class TerritoryCard:
    code: str
    name: str
    kind: TerritoryKind


@dataclass(frozen=True, slots=True)
class OrganisationCard:
    id: int
    slug: str
    name: str
    kind: OrganisationKind


@dataclass(frozen=True, slots=True)
class CaseCard:
    """What a result shows of a case (CaseStudySummary's fields), loaded without the ORM."""

    id: int
    slug: str
    title: str
    summary: str
    status: ProjectStatus
    publication_state: PublicationState
    themes: list[ThemeCard]
    territories: list[TerritoryCard]
    organisation: OrganisationCard | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class FoundCase:
    case: CaseCard
    score: float
    snippet: str
    section: str
    distinctions: list[DistinctionOut] = field(default_factory=list)  # best result per contest


@dataclass(frozen=True, slots=True)
class FacetCount:
    value: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class Facet:
    name: str
    legend: str
    values: list[FacetCount]


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: SearchQuery
    items: list[FoundCase]
    total: int
    facets: list[Facet]
    discussions: list[ThreadResult]
    events: list[EventResult] = field(default_factory=list)
    collections: list[CollectionResult] = field(default_factory=list)

    @property
    def has_next(self) -> bool:
        return self.query.page * self.query.page_size < self.total and self.query.page < MAX_PAGE

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, -(-self.total // self.query.page_size))


def ranked_hits(session: Session, engine: SearchEngine, query: SearchQuery) -> list[CaseHit]:
    """Every matching case, best first (with the territory boost when asked): ids, scores, filter fields."""
    hits = engine.retriever.search(query.text, flt=query.filters.to_index_filter(), mode=query.mode)
    if query.for_territory:
        from service.territories.boost import territory_rerank
        from service.territories.service import find_by_code

        reader = find_by_code(session, code=query.for_territory)
        if reader is None:
            raise InvalidFieldError(
                f"aucun territoire avec le code « {query.for_territory} »", field="for_territory"
            )
        hits = territory_rerank(session, reader)(hits)
    return hits


def run(session: Session, engine: SearchEngine, query: SearchQuery) -> SearchResult:
    hits = ranked_hits(session, engine, query)
    start = (query.page - 1) * query.page_size
    window = hits[start : start + query.page_size]
    cards = load_cards(session, [h.case_id for h in window])
    shown = [h for h in window if h.case_id in cards]
    texts = engine.index.retrieve_payloads([h.best.point_id for h in shown], ["text"]) if shown else {}
    # Only the cases the index knows a distinction of (a contest entry reindexes its case): most pages
    # have none, and then cost no query.
    won = case_distinctions(session, [h.case_id for h in shown if h.payload.get("distinctions")])
    items = [
        FoundCase(
            case=cards[h.case_id],
            score=h.score,
            snippet=_snippet(str(texts.get(h.best.point_id, {}).get("text", "")), query.text),
            section=str(h.best.payload.get("section", "")),
            distinctions=won.get(h.case_id, []),
        )
        for h in shown
    ]
    first = query.discussions and query.page == 1
    text = query.text
    discussions = (
        _beside("discussion", session, engine.thread_searcher, search_threads, text) if first else []
    )
    events = _beside("event", session, engine.event_searcher, search_events, text) if first else []
    collections = (
        _beside("collection", session, engine.collection_searcher, search_collections, text) if first else []
    )
    return SearchResult(
        query=query,
        items=items,
        total=len(hits),
        facets=facet_counts(session, hits),
        discussions=discussions,
        events=events,
        collections=collections,
    )


def _snippet(text: str, q: str) -> str:
    _, _, body = text.partition("\n")  # every passage starts with the case title
    return make_snippet(body or text, q, detect_language(q).lang)


def _beside(
    what: str,
    session: Session,
    searcher: Searcher | None,
    search: Callable[[Session, Searcher, str], list[Result]],
    text: str,
) -> list[Result]:
    """A result type shown next to the cases (discussions, events, collections). Derived data: when its
    index is missing, every embedding slot is busy or its search fails, the cases stand without it."""
    if searcher is None:
        return []
    try:
        return search(session, searcher, text)
    except Busy:
        return []
    except Exception:
        log.exception("%s search failed for %r", what, text)
        return []


_SEP, _ROW = "\x1f", "\x1e"


def load_cards(session: Session, ids: Sequence[int]) -> dict[int, CaseCard]:
    """The published cases among ``ids`` (the index may lag behind the database), in one query."""
    if not ids:
        return {}
    theme_ids = (
        select(func.aggregate_strings(cast(case_themes.c.theme_id, String), ","))
        .where(case_themes.c.case_study_id == CaseStudy.id)
        .scalar_subquery()
    )
    places = (
        select(
            func.aggregate_strings(
                Territory.code + _SEP + Territory.name + _SEP + cast(Territory.kind, String), _ROW
            )
        )
        .select_from(case_territories.join(Territory, Territory.id == case_territories.c.territory_id))
        .where(case_territories.c.case_study_id == CaseStudy.id)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            CaseStudy.id,
            CaseStudy.slug,
            CaseStudy.title,
            CaseStudy.summary,
            CaseStudy.status,
            CaseStudy.publication_state,
            CaseStudy.updated_at,
            Organisation.id.label("org_id"),
            Organisation.slug.label("org_slug"),
            Organisation.name.label("org_name"),
            Organisation.kind.label("org_kind"),
            theme_ids.label("theme_ids"),
            places.label("places"),
        )
        .outerjoin(Organisation, Organisation.id == CaseStudy.organisation_id)
        .where(CaseStudy.id.in_(ids), CaseStudy.publication_state == PublicationState.published)
    )
    themes = labels.themes_by_id(session)
    cards: dict[int, CaseCard] = {}
    for r in rows:
        of_case = sorted(
            (themes[int(i)] for i in (r.theme_ids or "").split(",") if i and int(i) in themes),
            key=lambda t: t.slug,
        )
        territories = []
        for place in (r.places or "").split(_ROW) if r.places else []:
            code, name, kind = place.split(_SEP)
            territories.append(TerritoryCard(code, name, TerritoryKind[kind]))
        cards[r.id] = CaseCard(
            id=r.id,
            slug=r.slug,
            title=r.title,
            summary=r.summary,
            status=r.status,
            publication_state=r.publication_state,
            themes=[ThemeCard(t.slug, t.label, t.description) for t in of_case],
            territories=sorted(territories, key=lambda t: t.code),
            organisation=OrganisationCard(r.org_id, r.org_slug, r.org_name, r.org_kind)
            if r.org_id is not None
            else None,
            updated_at=r.updated_at,
        )
    return cards


def facet_counts(session: Session, hits: Sequence[CaseHit]) -> list[Facet]:
    """Cases per filter value among all the results (one count per case), in one pass."""
    counters: dict[str, Counter[str]] = {name: Counter() for name in FACET_NAMES}
    for hit in hits:
        payload = hit.payload
        for name in FACET_NAMES:
            value = payload.get(FILTER_FIELDS[name])
            if isinstance(value, list):
                counters[name].update(str(v) for v in value)
            elif value is not None:
                counters[name][str(value)] += 1
    names = labels.territory_names(
        session,
        [departement_key(c) for c in counters["departement"]] + [region_key(c) for c in counters["region"]],
    )
    label_of = {
        "theme": labels.theme_labels(session),
        "territory_kind": {k.value: v for k, v in KIND_LABELS.items()},
        "departement": {c: f"{names.get(departement_key(c), c)} ({c})" for c in counters["departement"]},
        "region": {c: names.get(region_key(c), c) for c in counters["region"]},
        "population_band": dict(BAND_LABELS),
        "status": {k.value: v for k, v in STATUS_LABELS.items()},
        "year": {},
        "distinction": distinctions.value_labels(session, counters["distinction"]),
    }
    return [
        Facet(
            spec.name,
            spec.legend,
            [
                FacetCount(value, label_of[spec.name].get(value, value), count)
                for value, count in counters[spec.name].most_common(spec.limit)
            ],
        )
        for spec in FACETS
    ]


def case_ids(session: Session, engine: SearchEngine, query: SearchQuery) -> list[int]:
    """The ids of every matching case, best first (mutualisation, feeds): no page, no facets."""
    return [h.case_id for h in ranked_hits(session, engine, query)]
