"""/evenements: upcoming and past events with filters, an event's page (programme, experiences presented,
« je participe », who else comes from comparable territories, « ajouter à mon agenda »)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.api.errors import DomainError, NotFoundError
from service.authz.permissions import Action, authorize, can
from service.events import service
from service.events.attendees import comparable_attendees
from service.events.models import EventKind
from service.events.organisers import may_organise
from service.events.schemas import KIND_LABELS, SESSION_KIND_LABELS
from service.themes.listing import all_themes
from web.dependencies import PagePrincipal
from web.params import FormBody, PageSession, text_param
from web.templating import is_htmx, render

router = APIRouter()
PER_PAGE = 20


@router.get("/evenements", response_class=HTMLResponse)
def event_list(request: Request, session: PageSession, principal: PagePrincipal) -> HTMLResponse:
    params = request.query_params
    when: service.When = "past" if params.get("quand") == "passes" else "upcoming"
    region = text_param(params.get("region"), max_chars=3)
    theme = text_param(params.get("theme"), max_chars=80)
    kind = params.get("sorte") if params.get("sorte") in EventKind.__members__ else None
    filters = service.EventFilters(
        when=when, region=region or None, theme=theme or None, kind=EventKind(kind) if kind else None
    )
    cursor = params.get("apres") or None
    try:
        page = service.events_page(session, filters, limit=PER_PAGE, cursor=cursor, as_cards=True)
    except DomainError:  # an edited cursor: start from the first page
        page = service.events_page(session, filters, limit=PER_PAGE, cursor=None, as_cards=True)
    context: dict[str, Any] = {
        "events": page.items,
        "total": page.total,
        "next": page.next,
        "counts": service.attendee_counts(session, [e.id for e in page.items]),
        "when": when,
        "region": region,
        "theme": theme,
        "kind": kind or "",
        "regions": service.regions(session),
        "themes": all_themes(session),
        "EVENT_KIND_LABELS": KIND_LABELS,
        "may_organise": may_organise(principal),
        "params": {
            "quand": "passes" if when == "past" else None,
            "region": region,
            "theme": theme,
            "sorte": kind,
        },
    }
    return render(request, "events.html", context, block="results" if is_htmx(request) else None)


def _event_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 9:
        raise NotFoundError("Cet événement n'existe pas dans Retex.")
    return int(raw)


@router.get("/evenements/{event_id}", response_class=HTMLResponse)
def event_page(
    request: Request, principal: PagePrincipal, session: PageSession, event_id: str
) -> HTMLResponse:
    event = service.get_event(session, _event_id(event_id))
    context: dict[str, Any] = {
        "event": event,
        "attendees": service.attendee_counts(session, [event.id]).get(event.id, 0),
        "attending": service.is_attending(session, event.id, principal.user_id),
        "comparables": comparable_attendees(session, event.id, principal.user_id)
        if principal.user_id
        else [],
        "can_manage": can(principal, Action.manage_event, organisation_id=event.organisation_id),
        "EVENT_KIND_LABELS": KIND_LABELS,
        "SESSION_KIND_LABELS": SESSION_KIND_LABELS,
        "status": request.query_params.get("participation"),
        "is_past": service.is_past(event),
        "saved": request.query_params.get("enregistre") == "oui",
    }
    return render(request, "event.html", context)


@router.post("/evenements/{event_id}/participation")
def attend(principal: PagePrincipal, session: PageSession, form: FormBody, event_id: str) -> Response:
    event = service.get_event(session, _event_id(event_id))
    authorize(principal, Action.attend_event)
    assert principal.user_id is not None
    attending = form.get("action") != "annuler"
    service.set_attendance(session, event, principal.user_id, attending)
    flag = "oui" if attending else "non"
    return RedirectResponse(f"/evenements/{event.id}?participation={flag}#participation", status_code=303)
