"""/api/v1/events: the network's events (list, read, publish, edit, attend) and their calendars (the Atom
feed of new events is in service/opendata/event_feed.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status

from service.api.auth import CurrentPrincipal
from service.api.idempotency import IdempotentRoute
from service.api.ids import EventId
from service.api.pagination import Cursor, Limit, Page
from service.api.since import UpdatedSince, updated_page
from service.api.transport import public_base
from service.authz.permissions import Action, authorize
from service.db.session import DbSession
from service.events import service
from service.events.calendar import ICS_MEDIA_TYPE, calendar_of
from service.events.models import Event, EventKind
from service.events.schemas import AttendanceOut, EventIn, EventOut, EventSummary
from service.events.views import event_out, event_summary

router = APIRouter(tags=["events"], route_class=IdempotentRoute)
UPCOMING_CALENDAR_SIZE = 200


class IcsResponse(Response):
    media_type = ICS_MEDIA_TYPE


def _doc(media_type: str, example: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {media_type: {"schema": {"type": "string"}, "example": example}}}}


ICS_DOC = _doc("text/calendar", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n…\r\nEND:VCALENDAR\r\n")
RegionParam = Annotated[
    str | None, Query(pattern=r"^[0-9]{2,3}$", description="Code INSEE de la région (11 : Île-de-France).")
]
ThemeParam = Annotated[str | None, Query(max_length=80, description="Slug d'un thème (voir /themes).")]
KindParam = Annotated[EventKind | None, Query(description="Sorte d'événement.")]
WhenParam = Annotated[
    service.When, Query(description="upcoming : à venir (en cours compris) ; past : passés.")
]


def _filters(
    when: service.When, region: str | None, theme: str | None, kind: EventKind | None
) -> service.EventFilters:
    return service.EventFilters(when=when, region=region, theme=theme, kind=kind)


@router.get(
    "/events", response_model=Page[EventSummary], operation_id="listEvents", summary="Lister les événements"
)
def list_events(
    session: DbSession,
    when: Annotated[
        service.When | None,
        Query(
            description="upcoming : à venir (en cours compris) ; past : passés. Par défaut upcoming, "
            "sauf avec `updated_since` : tous."
        ),
    ] = None,
    region: RegionParam = None,
    theme: ThemeParam = None,
    kind: KindParam = None,
    limit: Limit = 20,
    cursor: Cursor = None,
    updated_since: UpdatedSince = None,
) -> Page[EventSummary]:
    if updated_since is not None:
        filters = service.EventFilters(when=when, region=region, theme=theme, kind=kind)
        page = updated_page(
            session,
            service.events_statement(filters),
            Event,
            since=updated_since,
            limit=limit,
            cursor=cursor,
            to_item=lambda e: e,
        )
    else:
        page = service.events_page(
            session, _filters(when or "upcoming", region, theme, kind), limit=limit, cursor=cursor
        )
    counts = service.attendee_counts(session, [e.id for e in page.items])
    return Page(
        items=[event_summary(e, counts.get(e.id, 0)) for e in page.items], total=page.total, next=page.next
    )


@router.get(
    "/events/upcoming.ics",
    response_class=IcsResponse,
    operation_id="getUpcomingEventsCalendar",
    summary="Agenda iCalendar des événements à venir (abonnement)",
    description="Mêmes filtres que /events ; à ajouter comme agenda par abonnement (URL).",
    responses=ICS_DOC,
)
def upcoming_calendar(
    request: Request,
    session: DbSession,
    region: RegionParam = None,
    theme: ThemeParam = None,
    kind: KindParam = None,
) -> IcsResponse:
    page = service.events_page(
        session, _filters("upcoming", region, theme, kind), limit=UPCOMING_CALENDAR_SIZE, cursor=None
    )
    body = calendar_of(page.items, base_url=public_base(request), name="Retex — événements à venir")
    return IcsResponse(body)


@router.get(
    "/events/{event_id}", response_model=EventOut, operation_id="getEvent", summary="Lire un événement"
)
def read_event(session: DbSession, event_id: EventId) -> EventOut:
    event = service.get_event(session, event_id)
    return event_out(event, service.attendee_counts(session, [event.id]).get(event.id, 0))


@router.get(
    "/events/{event_id}/calendar.ics",
    response_class=IcsResponse,
    operation_id="getEventCalendar",
    summary="Fichier iCalendar d'un événement (ajouter à mon agenda)",
    responses=ICS_DOC,
)
def event_calendar(request: Request, session: DbSession, event_id: EventId) -> IcsResponse:
    event = service.get_event(session, event_id)
    body = calendar_of([event], base_url=public_base(request), name=event.title)
    return IcsResponse(
        body, headers={"Content-Disposition": f'attachment; filename="evenement-{event.id}.ics"'}
    )


@router.post(
    "/events",
    response_model=EventOut,
    status_code=status.HTTP_201_CREATED,
    operation_id="createEvent",
    summary="Publier un événement (administrateurs de l'organisation organisatrice, modérateurs)",
)
def create_event(session: DbSession, principal: CurrentPrincipal, data: EventIn) -> EventOut:
    authorize(principal, Action.manage_event, organisation_id=data.organisation_id)
    event = service.create_event(session, data, author_id=principal.user_id)
    return event_out(event, 0)


@router.put(
    "/events/{event_id}",
    response_model=EventOut,
    operation_id="updateEvent",
    summary="Modifier un événement (tout le programme est remplacé)",
)
def update_event(
    session: DbSession, principal: CurrentPrincipal, event_id: EventId, data: EventIn
) -> EventOut:
    event = service.get_event(session, event_id)
    authorize(principal, Action.manage_event, organisation_id=event.organisation_id)
    if data.organisation_id != event.organisation_id:  # handing it over needs rights on both sides
        authorize(principal, Action.manage_event, organisation_id=data.organisation_id)
    service.apply_event(session, event, data)
    return event_out(event, service.attendee_counts(session, [event.id]).get(event.id, 0))


def _attendance(
    session: DbSession, principal: CurrentPrincipal, event_id: int, attending: bool
) -> AttendanceOut:
    event = service.get_event(session, event_id)
    authorize(principal, Action.attend_event)
    assert principal.user_id is not None
    service.set_attendance(session, event, principal.user_id, attending)
    return AttendanceOut(
        event_id=event.id,
        attending=attending,
        attendees=service.attendee_counts(session, [event.id]).get(event.id, 0),
    )


@router.put(
    "/events/{event_id}/attendance",
    response_model=AttendanceOut,
    operation_id="attendEvent",
    summary="Je participe",
)
def attend(session: DbSession, principal: CurrentPrincipal, event_id: EventId) -> AttendanceOut:
    return _attendance(session, principal, event_id, True)


@router.delete(
    "/events/{event_id}/attendance",
    response_model=AttendanceOut,
    operation_id="leaveEvent",
    summary="Je ne participe plus",
)
def leave(session: DbSession, principal: CurrentPrincipal, event_id: EventId) -> AttendanceOut:
    return _attendance(session, principal, event_id, False)
