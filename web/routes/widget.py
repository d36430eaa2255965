"""/widget: a small page partners embed in an iframe, listing Retex experiences for a theme, a territory
(with its similar territories) or a search. The only page that other sites may frame (web/headers.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from service.api.transport import public_base
from service.casestudies.models import CaseStudy
from service.opendata import feeds
from service.ratelimit.budgets import SearchBudget
from service.search.pipeline import parse_query
from service.search_engine.engine import SearchEngine
from service.settings import Settings
from service.territories import service as territories
from web.dependencies import PageSearch, PageSettings
from web.params import PageSession, int_param, text_param
from web.templating import render

router = APIRouter()
WIDGET_PATH = "/widget"


def _cases(
    request: Request, settings: Settings, engine: SearchEngine | None, session: PageSession
) -> tuple[str, list[CaseStudy]]:
    """(heading, cases) for the widget's parameters; theme, then territory, then search."""
    theme = text_param(request.query_params.get("theme"), max_chars=80)
    code = text_param(request.query_params.get("territory"), max_chars=20)
    q = text_param(request.query_params.get("q"), max_chars=300)
    if theme:
        found, cases = feeds.of_theme(session, theme)
        return f"Expériences : {found.label}", cases
    if code:
        territory = territories.get_by_code(session, code=code)
        passages = engine.index if engine is not None else None
        return f"Expériences autour de {territory.name}", feeds.of_territory(session, passages, territory)
    if q and engine is not None:
        query = parse_query(q, max_chars=settings.max_query_chars, discussions=False)
        return f"Expériences : « {query.text} »", feeds.of_search(session, engine, query)
    return "Dernières expériences", feeds.latest(session)


@router.get(WIDGET_PATH, response_class=HTMLResponse, dependencies=[SearchBudget])
def widget(
    request: Request, settings: PageSettings, engine: PageSearch, session: PageSession
) -> HTMLResponse:
    limit = int_param(request.query_params.get("limit"), default=5, lo=1, hi=20)
    heading, cases = _cases(request, settings, engine, session)
    base = public_base(request)  # RETEX_PUBLIC_URL, never the Host header
    return render(request, "widget.html", {"heading": heading, "cases": cases[:limit], "base": base})
