"""/mon-territoire: pick one's territory (a plain form; HTMX suggests names while typing), forget it,
and what it opens: experiences of comparable territories with the reasons, the pooling bodies that
serve it, the comparable territories that have experiences."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.api.errors import InvalidFieldError
from service.territories import service as territory_service
from service.territories.models import Territory
from service.territory_insights.mutualisation import pooling_near
from web.comparables import comparable_territories, experiences_like
from web.my_territory import forget, my_territory, remember
from web.params import FormBody, PageSession, path_key, text_param
from web.routes.account import safe_next
from web.templating import is_htmx, render

log = logging.getLogger(__name__)
router = APIRouter()
SUGGESTIONS = 8
EXPERIENCES_SHOWN = 8


def _suggestions(session: PageSession, q: str) -> list[Territory]:
    if len(q) < 2:
        return []
    rows, _ = territory_service.search(session, q=q, kind=None, departement=None, limit=SUGGESTIONS, offset=0)
    return rows


@router.get("/mon-territoire", response_class=HTMLResponse)
def my_territory_page(request: Request, session: PageSession) -> HTMLResponse:
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
    if mine is not None and territory is not None:
        comparables = comparable_territories(request, session, territory, limit=12)
        context |= {
            "mine": mine,
            "territory": territory,
            "experiences": experiences_like(request, session, territory, limit=EXPERIENCES_SHOWN),
            "pooling": pooling_near(session, territory),
            # Empty neighbours are not worth a card: only the comparable territories that have experiences.
            "comparables": [c for c in comparables.items if c.case_count] if comparables else [],
        }
    return render(request, "my_territory.html", context)


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
