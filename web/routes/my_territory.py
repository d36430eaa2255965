"""/mon-territoire: pick one's territory (a plain form; HTMX suggests names while typing), forget it,
and what it opens: experiences of comparable territories with the reasons, the pooling bodies that
serve it, the comparable territories that have experiences."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.accounts.visits import Visits, record_visit
from service.api.datetimes import as_utc
from service.api.errors import InvalidFieldError
from service.authz.principal import Principal
from service.db.base import utcnow
from service.discussions.models import Thread
from service.discussions.reading import public_threads_on_cases_since
from service.territories import service as territory_service
from service.territories.models import Territory
from service.territory_insights.activity import cases_of_territories
from service.territory_insights.experiences import Experience
from service.territory_insights.mutualisation import pooling_near
from web import visits as web_visits
from web.comparables import comparable_territories, experiences_like
from web.dependencies import PagePrincipal
from web.my_territory import forget, my_territory, remember
from web.params import FormBody, PageSession, path_key, text_param
from web.routes.account import safe_next
from web.templating import is_htmx, render

log = logging.getLogger(__name__)
router = APIRouter()
SUGGESTIONS = 8
EXPERIENCES_SHOWN = 8
NEWS_POOL = 60  # the experiences of the most comparable territories, among which the new ones are shown
NEWS_SHOWN = 6


def _suggestions(session: PageSession, q: str) -> list[Territory]:
    if len(q) < 2:
        return []
    rows, _ = territory_service.search(session, q=q, kind=None, departement=None, limit=SUGGESTIONS, offset=0)
    return rows


@router.get("/mon-territoire", response_class=HTMLResponse)
def my_territory_page(request: Request, session: PageSession, principal: PagePrincipal) -> HTMLResponse:
    q = text_param(request.query_params.get("q"), max_chars=100)
    context: dict[str, Any] = {
        "q": q,
        "suggestions": _suggestions(session, q),
        "territory": None,
        "mine": None,
    }
    if is_htmx(request):
        return render(request, "my_territory.html", context, block="suggestions")
    mine = my_territory(request)
    territory = territory_service.find_by_code(session, code=mine.territory.code) if mine else None
    visits = None
    if mine is not None and territory is not None:
        comparables = comparable_territories(request, session, territory, limit=12)
        pool = experiences_like(request, session, territory, limit=NEWS_POOL)
        visits = _visit(request, session, principal)
        context |= {
            "mine": mine,
            "territory": territory,
            "experiences": pool[:EXPERIENCES_SHOWN],
            "since": visits.previous,
            "news": _news(session, territory, pool, visits.previous),
            "pooling": pooling_near(session, territory),
            # Empty neighbours are not worth a card: only the comparable territories that have experiences.
            "comparables": [c for c in comparables.items if c.case_count] if comparables else [],
        }
    response = render(request, "my_territory.html", context)
    if visits is not None and not principal.is_user:
        web_visits.remember(response, request, visits)  # a member's are on their account
    return response


@dataclass
class News:
    """What is new near the reader since their previous visit."""

    experiences: list[Experience]
    threads: list[Thread]


def _visit(request: Request, session: PageSession, principal: Principal) -> Visits:
    """This view of the page, counted: on the member's account, or in the visitor's cookie."""
    now = utcnow()
    if principal.is_user and principal.user_id is not None:
        return record_visit(session, user_id=principal.user_id, now=now)
    return web_visits.read(request).at(now)


def _news(session: PageSession, territory: Territory, pool: list[Experience], since: datetime | None) -> News:
    """Experiences of comparable territories published since `since`, and the discussions with a message
    since then about them or about the reader's own experiences; nothing on a first visit."""
    if since is None:
        return News([], [])
    fresh = [e for e in pool if e.case.published_at is not None and as_utc(e.case.published_at) > since]
    own = cases_of_territories(session, [territory.id]).get(territory.id)
    near = {e.case.id for e in pool} | ({c.id for c in own.cases} if own else set())
    threads = public_threads_on_cases_since(session, case_ids=near, since=since, limit=NEWS_SHOWN)
    return News(fresh[:NEWS_SHOWN], threads)


@router.post("/mon-territoire")
def choose(request: Request, session: PageSession, form: FormBody) -> Response:
    code = path_key(str(form.get("code", "")), max_chars=20).strip()
    territory = territory_service.find_by_code(session, code=code) if code else None
    if territory is None:
        raise InvalidFieldError("choisissez un territoire dans la liste", field="code")
    response = RedirectResponse(safe_next(form.get("suivant"), default="/mon-territoire"), status_code=303)
    remember(response, request, territory.code)
    return response


@router.post("/mon-territoire/oublier")
def clear(request: Request, form: FormBody) -> Response:
    response = RedirectResponse(safe_next(form.get("suivant"), default="/mon-territoire"), status_code=303)
    forget(response)
    return response
