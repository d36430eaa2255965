"""Atom feed of the newest events (the Atom writer of service/opendata/atom.py)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.api.datetimes import as_utc
from service.events.models import Event
from service.events.schemas import KIND_LABELS
from service.opendata.atom import FEED_SIZE, AtomEntry, atom_document


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
