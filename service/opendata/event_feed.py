"""/api/v1/feeds/events.atom: the newest events, with the Atom writer of the open data feature (the events
domain stays below the features: it does not import them)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.api.atom import ATOM_MEDIA_TYPE, FEED_SIZE, AtomEntry, atom_document
from service.api.datetimes import as_utc
from service.api.transport import public_base, public_url_of
from service.db.session import DbSession
from service.events.models import Event
from service.events.schemas import KIND_LABELS

router = APIRouter(tags=["events"])


def _entry(event: Event, base_url: str) -> AtomEntry:
    start = as_utc(event.starts_at).astimezone(ZoneInfo(event.timezone))
    place = event.territory.name if event.territory is not None else ("en ligne" if event.online_url else "")
    summary = f"{KIND_LABELS[event.kind]} le {start:%d/%m/%Y à %H:%M}" + (f", {place}" if place else "") + "."
    return AtomEntry(
        url=f"{base_url}/evenements/{event.id}",
        title=event.title,
        updated=event.updated_at or event.created_at,
        published=event.created_at,
        author=event.organisation.name,
        summary=summary,
        categories=[(event.kind.value, KIND_LABELS[event.kind])],
    )


def events_atom(session: Session, *, base_url: str, self_url: str) -> bytes:
    """The events most recently published (not the soonest): what a reader of the feed has not seen yet."""
    events = session.scalars(
        select(Event).order_by(Event.created_at.desc(), Event.id.desc()).limit(FEED_SIZE)
    )
    return atom_document(
        title="Retex — nouveaux événements",
        subtitle="Rencontres, forums, webinaires et visites du réseau, les derniers publiés d'abord.",
        self_url=self_url,
        page_url=base_url + "/evenements",
        base_url=base_url,
        entries=[_entry(e, base_url) for e in events.unique()],
    )


class EventAtomResponse(Response):
    media_type = ATOM_MEDIA_TYPE


_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {ATOM_MEDIA_TYPE: {"schema": {"type": "string"}, "example": '<feed xmlns="…">…</feed>'}}}
}


@router.get(
    "/feeds/events.atom",
    response_class=EventAtomResponse,
    operation_id="getEventsFeed",
    summary="Flux Atom : nouveaux événements",
    responses=_DOC,
)
def events_feed(request: Request, session: DbSession) -> EventAtomResponse:
    return EventAtomResponse(
        events_atom(session, base_url=public_base(request), self_url=public_url_of(request))
    )
