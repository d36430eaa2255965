"""/recherche: search by meaning, with facets; the results block is also the HTMX partial."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from service.casestudies.models import ProjectStatus
from service.ratelimit.budgets import SearchBudget
from service.ratelimit.slots import Busy
from service.search import pipeline
from service.search.service import SearchFilters
from service.territories.bands import BAND_LABELS
from service.territories.models import TerritoryKind
from service.themes.listing import all_themes
from web.closeness import fits_for
from web.dependencies import PageSearch, PageSettings
from web.params import PageSession, int_param, list_param
from web.templating import is_htmx, render

log = logging.getLogger(__name__)
router = APIRouter()

_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
VISIBLE_OPTIONS = 6  # per facet; the others behind "Afficher plus"


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
    if name == "distinction":
        return [v for v in values if _SLUG.fullmatch(v)]
    return list(values)


def _facets(found: list[pipeline.Facet], selected: dict[str, list[str | int]]) -> list[Facet]:
    facets = []
    for facet in found:
        chosen = {str(v) for v in selected.get(facet.name, [])}
        options = [FacetOption(v.value, v.label, v.count, v.value in chosen) for v in facet.values]
        if facet.name == "year":
            options.sort(key=lambda o: o.value, reverse=True)
        listed = {o.value for o in options}
        # A chosen value without any result stays listed, so that it can be unticked.
        options[:0] = [FacetOption(v, v, 0, True) for v in sorted(chosen - listed)]
        options.sort(key=lambda o: not o.checked)  # ticked values first, the rest keep their order
        if options:
            facets.append(Facet(facet.name, facet.legend, options))
    return facets


@router.get("/recherche", response_class=HTMLResponse, dependencies=[SearchBudget])
def search_page(
    request: Request, settings: PageSettings, engine: PageSearch, session: PageSession
) -> HTMLResponse:
    params = request.query_params
    raw_q = " ".join(params.get("q", "").split())
    q = raw_q[: settings.max_query_chars]
    selected = {name: _valid(name, list_param(request, name)) for name in pipeline.FACET_NAMES}
    page = int_param(params.get("page"), default=1, lo=1, hi=pipeline.MAX_PAGE)
    per_page = int_param(
        params.get("par_page"), default=pipeline.DEFAULT_PAGE_SIZE, lo=1, hi=pipeline.MAX_PAGE_SIZE
    )
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
        "fits": {},  # case id -> why it is close to « mon territoire » (web/closeness.py)
        "facets": [],
        "pages": 0,
        "unavailable": False,
        "themes": [],
        "discussions": [],
    }
    if q and engine is None:
        context["unavailable"] = True
    elif q:
        query = pipeline.SearchQuery(
            text=q, filters=SearchFilters(values=selected), page=page, page_size=per_page
        )
        try:
            result = pipeline.run(session, engine, query)  # type: ignore[arg-type]  # checked above
        except Busy:
            raise  # every embedding slot stayed busy: 429 + Retry-After, the page says to retry
        except Exception:  # the index is derived data: a failure there must not break the page
            log.exception("search failed for %r", q)
            context["unavailable"] = True
        else:
            context["result"] = result
            context["fits"] = fits_for(request, session, engine, [hit.case.id for hit in result.items])
            context["facets"] = _facets(result.facets, selected)
            context["discussions"] = result.discussions
            context["pages"] = result.pages
    if not q or context["result"] is None or context["result"].total == 0:
        context["themes"] = all_themes(session)
    if params.get("par_page"):
        context["params"]["par_page"] = per_page
    context["visible_options"] = VISIBLE_OPTIONS
    block = "results" if is_htmx(request) else None
    return render(request, "search.html", context, block=block)
