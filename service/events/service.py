"""Events: listing (upcoming / past, filtered), writing (validated, all or nothing), attendance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from service.accounts.models import User
from service.api.datetimes import as_utc
from service.api.errors import InvalidFieldError, NotFoundError
from service.api.pagination import Page, decode_cursor, encode_cursor
from service.casestudies.models import CaseStudy, PublicationState
from service.casestudies.service import resolve_organisation, resolve_territories, resolve_themes
from service.db.base import utcnow
from service.events.models import (
    AS_CARDS,
    Event,
    EventAttendance,
    EventKind,
    EventSession,
    EventSpeaker,
    event_session_cases,
    event_session_themes,
)
from service.events.schemas import EventIn, SessionIn
from service.territories.models import Territory
from service.themes.models import Theme

When = Literal["upcoming", "past"]
FIRST_YEAR, LAST_YEAR = 1990, 2200


@dataclass(frozen=True)
class EventFilters:
    when: When | None = "upcoming"  # None: past and upcoming (a partner's `updated_since` walk)
    region: str | None = None  # INSEE region code, e.g. "11" for Île-de-France
    theme: str | None = None
    kind: EventKind | None = None


def events_statement(filters: EventFilters, *, now: datetime | None = None) -> Select[Event]:
    now = now or utcnow()
    # An event under way is still "upcoming": one can still join it.
    stmt = select(Event)
    if filters.when is not None:
        stmt = stmt.where(Event.ends_at >= now if filters.when == "upcoming" else Event.ends_at < now)
    if filters.kind is not None:
        stmt = stmt.where(Event.kind == filters.kind)
    if filters.region:
        stmt = stmt.where(Event.territory.has(Territory.region_code == filters.region))
    if filters.theme:
        themed = (
            select(EventSession.event_id)
            .join(event_session_themes, event_session_themes.c.session_id == EventSession.id)
            .join(Theme, Theme.id == event_session_themes.c.theme_id)
            .where(Theme.slug == filters.theme)
        )
        stmt = stmt.where(Event.id.in_(themed))
    return stmt


def _cursor(cursor: str | None) -> tuple[datetime, int] | None:
    values = decode_cursor(cursor)
    if values is None:
        return None
    try:
        stamp, event_id = values
        if not isinstance(event_id, int) or isinstance(event_id, bool) or not isinstance(stamp, str):
            raise ValueError
        return as_utc(datetime.fromisoformat(stamp)), event_id
    except (ValueError, TypeError) as exc:
        raise InvalidFieldError("curseur de pagination invalide", field="cursor") from exc


def events_page(
    session: Session,
    filters: EventFilters,
    *,
    limit: int,
    cursor: str | None,
    now: datetime | None = None,
    as_cards: bool = False,
) -> Page[Event]:
    """Upcoming events soonest first, past events latest first; the cursor carries (start, id)."""
    stmt = events_statement(filters, now=now)
    if as_cards:
        stmt = stmt.options(*AS_CARDS)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    after = _cursor(cursor)
    ascending = filters.when == "upcoming"
    if after is not None:
        stamp, last_id = after
        if ascending:
            stmt = stmt.where(
                or_(Event.starts_at > stamp, and_(Event.starts_at == stamp, Event.id > last_id))
            )
        else:
            stmt = stmt.where(
                or_(Event.starts_at < stamp, and_(Event.starts_at == stamp, Event.id < last_id))
            )
    order = (
        (Event.starts_at.asc(), Event.id.asc()) if ascending else (Event.starts_at.desc(), Event.id.desc())
    )
    rows = list(session.scalars(stmt.order_by(*order).limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    next_cursor = encode_cursor([as_utc(last.starts_at).isoformat(), last.id]) if more and last else None
    return Page(items=rows, total=total, next=next_cursor)


def get_event(session: Session, event_id: int) -> Event:
    event = session.get(Event, event_id)
    if event is None:
        raise NotFoundError(f"Aucun événement n° {event_id}.")
    return event


def attendee_counts(session: Session, event_ids: Sequence[int]) -> dict[int, int]:
    if not event_ids:
        return {}
    rows = session.execute(
        select(EventAttendance.event_id, func.count(EventAttendance.id))
        .where(EventAttendance.event_id.in_(event_ids))
        .group_by(EventAttendance.event_id)
    ).all()
    return {event_id: n for event_id, n in rows}


def _timezone(name: str) -> str:
    try:
        if name not in available_timezones():
            raise ZoneInfoNotFoundError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidFieldError(f"fuseau horaire inconnu : {name}", field="timezone") from exc
    return name


def _session_times(
    position: int, data: SessionIn, event_span: tuple[datetime, datetime]
) -> tuple[datetime | None, datetime | None]:
    """A session's times, in UTC: stated with their offset, inside the event, the end after the start."""
    field = f"sessions.{position}"
    times: list[datetime | None] = []
    for name, value in (("starts_at", data.starts_at), ("ends_at", data.ends_at)):
        if value is not None and value.tzinfo is None:
            raise InvalidFieldError("indiquez le décalage horaire de l'heure", field=f"{field}.{name}")
        if value is not None and not event_span[0] <= as_utc(value) <= event_span[1]:
            raise InvalidFieldError("l'heure est en dehors des dates de l'événement", field=f"{field}.{name}")
        times.append(as_utc(value) if value is not None else None)
    starts_at, ends_at = times
    if starts_at is not None and ends_at is not None and ends_at < starts_at:
        raise InvalidFieldError("la fin de la session précède son début", field=f"{field}.ends_at")
    return starts_at, ends_at


def _session(
    session: Session, position: int, data: SessionIn, event_span: tuple[datetime, datetime]
) -> EventSession:
    field = f"sessions.{position}"
    starts_at, ends_at = _session_times(position, data, event_span)
    cases = list(session.scalars(select(CaseStudy).where(CaseStudy.id.in_(data.case_study_ids))))
    published = {c.id: c for c in cases if c.publication_state is PublicationState.published}
    missing = [str(i) for i in dict.fromkeys(data.case_study_ids) if i not in published]
    if missing:
        raise InvalidFieldError(
            f"expérience(s) publiée(s) introuvable(s) : {', '.join(missing)}", field=f"{field}.case_study_ids"
        )
    speakers = []
    for i, s in enumerate(data.speakers):
        name = s.name
        if s.user_id is not None:
            user = session.get(User, s.user_id)
            if user is None:
                raise InvalidFieldError(
                    f"compte n° {s.user_id} inconnu", field=f"{field}.speakers.{i}.user_id"
                )
            name = name or user.display_name
        if not name:
            raise InvalidFieldError(
                "un intervenant sans compte a besoin d'un nom", field=f"{field}.speakers.{i}.name"
            )
        speakers.append(
            EventSpeaker(position=i, user_id=s.user_id, name=name, organisation_name=s.organisation)
        )
    return EventSession(
        position=position,
        title=data.title,
        kind=data.kind,
        description=data.description,
        starts_at=starts_at,
        ends_at=ends_at,
        themes=resolve_themes(session, data.themes),
        cases=[published[i] for i in dict.fromkeys(data.case_study_ids)],
        speakers=speakers,
    )


def apply_event(session: Session, event: Event, data: EventIn) -> Event:
    """Check everything first, then write: a refused event leaves nothing behind."""
    for name, value in (("starts_at", data.starts_at), ("ends_at", data.ends_at)):
        if value.tzinfo is None:
            raise InvalidFieldError("indiquez le décalage horaire des dates (par exemple +02:00)", field=name)
        if not FIRST_YEAR <= value.year <= LAST_YEAR:  # also keeps time zone arithmetic from overflowing
            raise InvalidFieldError(f"la date doit être entre {FIRST_YEAR} et {LAST_YEAR}", field=name)
    starts_at, ends_at = as_utc(data.starts_at), as_utc(data.ends_at)
    if ends_at < starts_at:
        raise InvalidFieldError("la fin (ends_at) précède le début (starts_at)", field="ends_at")
    timezone = _timezone(data.timezone)
    organisation = resolve_organisation(session, data.organisation_id)
    assert organisation is not None
    territory = resolve_territories(session, [data.territory_code])[0] if data.territory_code else None
    if territory is None and not data.address and data.online_url is None:
        raise InvalidFieldError(
            "indiquez un lieu : territoire, adresse ou lien en ligne", field="territory_code"
        )
    sessions = [_session(session, i, s, (starts_at, ends_at)) for i, s in enumerate(data.sessions)]
    event.title = data.title
    event.kind = data.kind
    event.starts_at, event.ends_at, event.timezone = starts_at, ends_at, timezone
    event.territory = territory
    event.address = data.address
    event.online_url = str(data.online_url) if data.online_url is not None else None
    event.organisation = organisation
    event.description = data.description
    event.sessions.clear()
    session.flush()  # the old programme goes before the new one arrives (positions are reused)
    event.sessions.extend(sessions)
    session.add(event)
    session.flush()
    return event


def create_event(session: Session, data: EventIn, *, author_id: int | None) -> Event:
    return apply_event(session, Event(created_by_id=author_id), data)


def set_attendance(session: Session, event: Event, user_id: int, attending: bool) -> None:
    existing = session.scalar(
        select(EventAttendance).where(
            EventAttendance.event_id == event.id, EventAttendance.user_id == user_id
        )
    )
    if attending and existing is None:
        session.add(EventAttendance(event_id=event.id, user_id=user_id))
    elif not attending and existing is not None:
        session.delete(existing)
    session.flush()


def is_attending(session: Session, event_id: int, user_id: int | None) -> bool:
    if user_id is None:
        return False
    return (
        session.scalar(
            select(EventAttendance.id).where(
                EventAttendance.event_id == event_id, EventAttendance.user_id == user_id
            )
        )
        is not None
    )


def events_presenting(session: Session, case_id: int) -> list[Event]:
    """Events where an experience was presented ("présenté lors de"), latest first."""
    ids = (
        select(EventSession.event_id)
        .join(event_session_cases, event_session_cases.c.session_id == EventSession.id)
        .where(event_session_cases.c.case_study_id == case_id)
    )
    return list(
        session.scalars(select(Event).where(Event.id.in_(ids)).order_by(Event.starts_at.desc())).unique()
    )


def regions(session: Session) -> list[Territory]:
    """The regions, for the region filter."""
    return list(
        session.scalars(select(Territory).where(Territory.kind == "region").order_by(Territory.name_key))
    )


def is_past(event: Event, *, now: datetime | None = None) -> bool:
    """Over: nobody can say they come any more (the form is not shown)."""
    return as_utc(event.ends_at) < (now or utcnow())
