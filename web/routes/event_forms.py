"""/evenements/nouveau and /evenements/{id}/modifier: organisers (the organisation's admins) and moderators
publish and edit an event from the site — title, kind, dates with their time zone, place, description, and
its programme (sessions, speakers, experiences presented; web/programme_form.py). Same schema, service and
permission checks as `POST /api/v1/events` and `PUT /api/v1/events/{id}`: the event and its programme are
saved together or not at all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.api.errors import DomainError
from service.authz.permissions import Action, Forbidden, NotAuthenticated, authorize
from service.authz.principal import Principal
from service.casestudies.listing import cases_by_id, published_by_title
from service.casestudies.models import CaseStudy, PublicationState
from service.events import service
from service.events.models import Event, EventKind
from service.events.organisers import (
    may_organise,
    organiser_choices,
    programme_in,
    speaker_account,
    speaker_handles,
)
from service.events.schemas import KIND_LABELS, SESSION_KIND_LABELS
from service.themes.listing import all_themes
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
from web.params import FormBody, PageSession, text_param
from web.programme_form import MAX_SESSIONS, apply_action, session_forms
from web.routes.events import _event_id
from web.templating import render

router = APIRouter()
NEW = "/evenements/nouveau"
CASE_PICKER = "/evenements/experiences-a-presenter"
FOUND = 8  # experiences shown by the title search of a session


def _found(session: PageSession, q: str) -> list[CaseStudy]:
    return published_by_title(session, q=q, limit=FOUND) if len(q) >= 2 else []


def _form_page(
    request: Request,
    session: PageSession,
    principal: Principal,
    ef: EventForm,
    *,
    event: Event | None,
    status_code: int = 200,
) -> HTMLResponse:
    chosen = cases_by_id(session, ids={i for s in ef.programme for i in s.cases})
    context: dict[str, Any] = {
        "form": ef,
        "event": event,
        "action": f"/evenements/{event.id}/modifier" if event else NEW,
        "organisations": organiser_choices(session, principal),
        "kind_options": [(k.value, KIND_LABELS[k]) for k in EventKind],
        "session_kinds": list(SESSION_KIND_LABELS.items()),
        "themes": [(t.slug, t.label) for t in all_themes(session)],
        # Experiences chosen (titles; one unpublished since is shown as such) and found by each search.
        "chosen": chosen,
        "published": PublicationState.published,
        "found": {i: _found(session, s.case_q) for i, s in enumerate(ef.programme) if s.case_q},
        "max_sessions": MAX_SESSIONS,
        "case_picker": CASE_PICKER,
        "timezones": COMMON_TIMEZONES,
        "labels": FIELD_LABELS,
        "error_list": ef.error_list(),
    }
    return render(request, "event_form.html", context, status_code=status_code)


def _require_organiser(principal: Principal) -> None:
    if not principal.is_user:
        raise NotAuthenticated()
    if not may_organise(principal):
        raise Forbidden("Réservé aux administrateurs d'une organisation et aux modérateurs.")


def _account_of(session: PageSession) -> Callable[[str], int | None]:
    def account_of(handle: str) -> int | None:
        user = speaker_account(session, handle)
        return user.id if user else None

    return account_of


def _save(
    request: Request,
    session: PageSession,
    principal: Principal,
    ef: EventForm,
    *,
    event: Event | None,
    action: str,
) -> Response:
    if action:  # a button of the programme (add, remove, move, search): the form comes back, unsaved
        apply_action(ef.programme, action)
        ef.set_programme(ef.programme)
        return _form_page(request, session, principal, ef, event=event)
    data = to_schema(ef, account_of=_account_of(session))
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
    ef.set_programme(ef.programme)  # blank speaker rows dropped
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
    return _save(request, session, principal, read_form(form), event=None, action=_action(form))


def _editable(session: PageSession, principal: Principal, event_id: str) -> Event:
    event = service.get_event(session, _event_id(event_id))
    authorize(principal, Action.manage_event, organisation_id=event.organisation_id)
    return event


@router.get("/evenements/{event_id}/modifier", response_class=HTMLResponse)
def edit_event(request: Request, session: PageSession, principal: PagePrincipal, event_id: str) -> Response:
    if not principal.is_user:
        return RedirectResponse(f"/connexion?suivant=/evenements/{event_id[:9]}/modifier", status_code=303)
    event = _editable(session, principal, event_id)
    programme = programme_in(event)
    handles = speaker_handles(session, [p.user_id for s in programme for p in s.speakers if p.user_id])
    ef = form_from_event(event, session_forms(programme, ZoneInfo(event.timezone), handles))
    return _form_page(request, session, principal, ef, event=event)


@router.post("/evenements/{event_id}/modifier", response_class=HTMLResponse)
def update_event(
    request: Request, session: PageSession, principal: PagePrincipal, form: FormBody, event_id: str
) -> Response:
    event = _editable(session, principal, event_id)
    return _save(request, session, principal, read_form(form), event=event, action=_action(form))


def _action(form: FormBody) -> str:
    value = form.get("programme")
    return value[:40] if isinstance(value, str) else ""


@router.get(CASE_PICKER, response_class=HTMLResponse)
def case_picker(request: Request, session: PageSession, principal: PagePrincipal) -> HTMLResponse:
    """The experiences whose title has the words typed in a session's search (HTMX, as one types)."""
    _require_organiser(principal)
    raw = request.query_params.get("seance") or ""
    index = int(raw) if raw.isdigit() and int(raw) < MAX_SESSIONS else 0
    q = text_param(request.query_params.get(f"s{index}-case-q"), max_chars=100)
    context = {"i": index, "results": _found(session, q), "searched": q}
    return render(request, "event_form.html", context, block="case_results")
