"""/territoires: find a territory (autocomplete over the name-prefix search) and its page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from service.casestudies.listing import territory_cases
from service.discussions import following
from service.discussions.models import FollowTarget
from service.funding import service as funding
from service.publiccode import service as public_code
from service.territories import service as territory_service
from service.territories.bands import population_band
from service.territories.models import Territory, TerritoryKind
from service.territories.parents import parents_of
from service.territory_insights.mutualisation import pooling_near
from web.comparables import Comparables, comparable_territories, experiences_like
from web.dependencies import PagePrincipal
from web.params import PageSession, path_key, text_param
from web.templating import is_htmx, render

router = APIRouter()
SUGGESTIONS = 12
FUNDED_SHOWN = 12
EPCI_FORMS = {"cc": "Communauté de communes", "ca": "Communauté d'agglomération", "cu": "Communauté urbaine"}
EPCI_FORMS["metropole"] = "Métropole"


@router.get("/territoires", response_class=HTMLResponse)
def territory_search(request: Request, session: PageSession) -> HTMLResponse:
    q = text_param(request.query_params.get("q"), max_chars=100)
    kind_raw = request.query_params.get("type") or ""
    kind = TerritoryKind(kind_raw) if kind_raw in TerritoryKind.__members__ else None
    rows: list[Territory] = []
    total = 0
    if q or kind:
        rows, total = territory_service.search(
            session, q=q or None, kind=kind, departement=None, limit=SUGGESTIONS, offset=0
        )
    context: dict[str, Any] = {
        "q": q,
        "kind": kind.value if kind else "",
        "territories": rows,
        "total": total,
    }
    if request.query_params.get("pour") == "formulaire":  # the finder of the publish form
        return render(request, "territories.html", {**context, "picker": True}, block="picker")
    return render(request, "territories.html", context, block="results" if is_htmx(request) else None)


def _with_experiences(found: Comparables | None, shown: int = 6) -> Comparables | None:
    """Only the comparable territories that have experiences: an empty neighbour is not worth a card."""
    if found is None or not found.ready:
        return found
    return Comparables(ready=True, items=[c for c in found.items if c.case_count][:shown])


@router.get("/territoires/{code}", response_class=HTMLResponse)
def territory_page(
    request: Request, principal: PagePrincipal, session: PageSession, code: str
) -> HTMLResponse:
    territory = territory_service.get_by_code(session, code=path_key(code, max_chars=20))
    cases, total_cases = territory_cases(session, territory=territory, limit=20)
    funded, total_funded = funding.funded_by(session, territory, limit=FUNDED_SHOWN)
    context = {
        "territory": territory,
        "parents": parents_of(session, territory=territory),
        "band": population_band(territory.population),
        "epci_form": EPCI_FORMS.get(territory.epci_form.name) if territory.epci_form else None,
        "postal_codes": (territory.postal_codes or "").split(),
        "cases": cases,
        "total_cases": total_cases,
        "funded": [funding.to_out(p) for p in funded],
        "total_funded": total_funded,
        "pooling": pooling_near(session, territory),
        "forges": public_code.forges_of(session, territory),
        "comparables": _with_experiences(comparable_territories(request, session, territory, limit=12)),
        "experiences_like": experiences_like(request, session, territory, limit=6),
        "following": following.is_following(session, principal, FollowTarget.territory, territory.id),
    }
    return render(request, "territory.html", context)
