"""/recherche: search by meaning, with facets; the results block is also the HTMX partial."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from service.casestudies.models import ProjectStatus
from service.discussions.indexing import ThreadResult, search_threads
from service.ratelimit.budgets import SearchBudget
from service.search import service as search_service
from service.search.engine import SearchEngine
from service.settings import Settings
from service.territories.bands import BAND_LABELS
from service.territories.models import TerritoryKind
from web import queries
from web.params import PageSession, int_param, list_param, search_engine
from web.templating import is_htmx, render

log = logging.getLogger(__name__)
router = APIRouter()

# (query parameter, legend), in display order
FACETS: tuple[tuple[str, str], ...] = (
    ("theme", "Thème"),
    ("status", "État du projet"),
    ("territory_kind", "Type de territoire"),
    ("population_band", "Taille du territoire"),
    ("region", "Région"),
    ("departement", "Département"),
    ("year", "Année"),
)
VISIBLE_OPTIONS = 6  # per facet; the others behind "Afficher plus"
MAX_PAGE = 50
DEFAULT_PER_PAGE = 10


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    checked: bool


@dataclass
class Facet:
    name: str
    legend: str
    options: list[FacetOption]


def _valid(name: str, values: list[str]) -> list[str | int]:
    """Keep only values the index can hold (anything else would match nothing anyway)."""
    if name == "status":
        return [v for v in values if v in ProjectStatus.__members__]
    if name == "territory_kind":
        return [v for v in values if v in TerritoryKind.__members__]
    if name == "population_band":
        return [v for v in values if v in BAND_LABELS]
    if name == "year":
        return [int(v) for v in values if v.isdigit() and len(v) == 4]
    return list(values)


def _facets(raw: dict[str, list[dict[str, Any]]], selected: dict[str, list[str | int]]) -> list[Facet]:
    facets = []
    for name, legend in FACETS:
        chosen = {str(v) for v in selected.get(name, [])}
        options = [
            FacetOption(str(o["value"]), str(o["label"]), int(o["count"]), str(o["value"]) in chosen)
            for o in raw.get(name, [])
        ]
        if name == "year":
            options.sort(key=lambda o: o.value, reverse=True)
        listed = {o.value for o in options}
        # A chosen value without any result stays listed, so that it can be unticked.
        options[:0] = [FacetOption(v, v, 0, True) for v in sorted(chosen - listed)]
        options.sort(key=lambda o: not o.checked)  # ticked values first, the rest keep their order
        if options:
            facets.append(Facet(name, legend, options))
    return facets


def _discussions(session: PageSession, engine: SearchEngine | None, q: str) -> list[ThreadResult]:
    if engine is None or engine.thread_indexer is None:
        return []
    try:
        return search_threads(session, engine.thread_indexer, q)
    except Exception:  # derived data: the page shows the cases without them
        log.exception("discussion search failed for %r", q)
        return []


@router.get("/recherche", response_class=HTMLResponse, dependencies=[SearchBudget])
def search_page(request: Request, session: PageSession) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    params = request.query_params
    raw_q = " ".join(params.get("q", "").split())
    q = raw_q[: settings.max_query_chars]
    selected = {name: _valid(name, list_param(request, name)) for name, _ in FACETS}
    page = int_param(params.get("page"), default=1, lo=1, hi=MAX_PAGE)
    per_page = int_param(params.get("par_page"), default=DEFAULT_PER_PAGE, lo=1, hi=50)
    context: dict[str, Any] = {
        "q": q,
        "too_long": len(raw_q) > settings.max_query_chars,
        "max_query_chars": settings.max_query_chars,
        "selected": selected,
        "active_filters": sum(len(v) for v in selected.values()),
        "params": {"q": q, **{k: v for k, v in selected.items() if v}},
        "page": page,
        "per_page": per_page,
        "result": None,
        "facets": [],
        "pages": 0,
        "unavailable": False,
        "themes": [],
        "discussions": [],
    }
    engine = search_engine(request)
    if q and engine is None:
        context["unavailable"] = True
    elif q:
        try:
            result = search_service.search(
                session,
                engine,  # type: ignore[arg-type]  # checked just above
                q=q,
                filters=search_service.SearchFilters(values=selected),
                mode="hybrid",
                page=page,
                page_size=per_page,
            )
        except Exception:  # the index is derived data: a failure there must not break the page
            log.exception("search failed for %r", q)
            context["unavailable"] = True
        else:
            context["result"] = result
            context["facets"] = _facets(result.facets, selected)
            context["discussions"] = _discussions(session, engine, q) if page == 1 else []
            context["pages"] = min(MAX_PAGE, math.ceil(result.total / per_page))
    if not q or context["result"] is None or context["result"].total == 0:
        context["themes"] = queries.themes(session)
    if params.get("par_page"):
        context["params"]["par_page"] = per_page
    context["visible_options"] = VISIBLE_OPTIONS
    block = "results" if is_htmx(request) else None
    return render(request, "search.html", context, block=block)
