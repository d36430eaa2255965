"""/evenements/nouveau and /evenements/{id}/modifier: organisers (the organisation's admins) and moderators
publish and edit an event from the site — title, kind, dates with their time zone, place, description.
Same schema, service and permission checks as `POST /api/v1/events` and `PUT /api/v1/events/{id}`; the
programme is kept as it is (edited through the API)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.api.errors import DomainError
from service.authz.permissions import Action, Forbidden, NotAuthenticated, authorize
from service.authz.principal import Principal
from service.events import service
from service.events.models import Event, EventKind
from service.events.organisers import may_organise, organiser_choices, programme_in
from service.events.schemas import KIND_LABELS
from web.dependencies import PagePrincipal
from web.event_forms import (
    COMMON_TIMEZONES,
    FIELD_LABELS,
    EventForm,
    empty_form,
    form_from_event,
    read_form,
    service_error_field,
    to_schema,
)
from web.params import FormBody, PageSession
from web.routes.events import _event_id
from web.templating import render

router = APIRouter()
NEW = "/evenements/nouveau"


def _form_page(
    request: Request,
    session: PageSession,
    principal: Principal,
    ef: EventForm,
    *,
    event: Event | None,
    status_code: int = 200,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "form": ef,
        "event": event,
        "action": f"/evenements/{event.id}/modifier" if event else NEW,
        "organisations": organiser_choices(session, principal),
        "kind_options": [(k.value, KIND_LABELS[k]) for k in EventKind],
        "timezones": COMMON_TIMEZONES,
        "labels": FIELD_LABELS,
        "error_list": [(name, FIELD_LABELS.get(name, name), msg) for name, msg in ef.errors.items()],
    }
    return render(request, "event_form.html", context, status_code=status_code)


def _require_organiser(principal: Principal) -> None:
    if not principal.is_user:
        raise NotAuthenticated()
    if not may_organise(principal):
        raise Forbidden("Réservé aux administrateurs d'une organisation et aux modérateurs.")


def _save(
    request: Request, session: PageSession, principal: Principal, ef: EventForm, *, event: Event | None
) -> Response:
    data = to_schema(ef, programme=programme_in(event) if event else [])
    if data is not None:
        try:
            # The API's checks: rights on the organisation named (and, on edit, on the current one).
            authorize(principal, Action.manage_event, organisation_id=data.organisation_id)
            if event is None:
                event = service.create_event(session, data, author_id=principal.user_id)
            else:
                service.apply_event(session, event, data)
        except (Forbidden, NotAuthenticated):
            raise
        except DomainError as exc:
            session.rollback()
            message = exc.message[:1].upper() + exc.message[1:]
            ef.error(service_error_field(exc.field), message if message.endswith(".") else message + ".")
        else:
            return RedirectResponse(f"/evenements/{event.id}?enregistre=oui", status_code=303)
    if event is not None:
        session.refresh(event)
    return _form_page(request, session, principal, ef, event=event, status_code=422)


@router.get(NEW, response_class=HTMLResponse)
def new_event(request: Request, session: PageSession, principal: PagePrincipal) -> Response:
    if not principal.is_user:
        return RedirectResponse(f"/connexion?suivant={NEW}", status_code=303)
    _require_organiser(principal)
    choices = organiser_choices(session, principal)
    return _form_page(
        request, session, principal, empty_form(choices[0][0] if len(choices) == 1 else None), event=None
    )


@router.post(NEW, response_class=HTMLResponse)
def create_event(
    request: Request, session: PageSession, principal: PagePrincipal, form: FormBody
) -> Response:
    _require_organiser(principal)
    return _save(request, session, principal, read_form(form), event=None)


def _editable(session: PageSession, principal: Principal, event_id: str) -> Event:
    event = service.get_event(session, _event_id(event_id))
    authorize(principal, Action.manage_event, organisation_id=event.organisation_id)
    return event


@router.get("/evenements/{event_id}/modifier", response_class=HTMLResponse)
def edit_event(request: Request, session: PageSession, principal: PagePrincipal, event_id: str) -> Response:
    if not principal.is_user:
        return RedirectResponse(f"/connexion?suivant=/evenements/{event_id[:9]}/modifier", status_code=303)
    event = _editable(session, principal, event_id)
    return _form_page(request, session, principal, form_from_event(event), event=event)


@router.post("/evenements/{event_id}/modifier", response_class=HTMLResponse)
def update_event(
    request: Request, session: PageSession, principal: PagePrincipal, form: FormBody, event_id: str
) -> Response:
    event = _editable(session, principal, event_id)
    return _save(request, session, principal, read_form(form), event=event)
