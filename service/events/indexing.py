"""What the search index knows of an event: plain data for indexing/event_index.py (the search of events
is in service/search/event_results.py)."""

from __future__ import annotations

from sqlalchemy import Select, select

from indexing.event_index import EventDocument
from service.events.models import Event


def searchable_events() -> Select[int]:
    """Every event is public: all of them are in the index."""
    return select(Event.id).order_by(Event.id)


def event_document(event: Event) -> EventDocument:
    parts = [event.description]
    for s in event.sessions:
        parts += [s.title, s.description, *(t.label for t in s.themes), *(c.title for c in s.cases)]
    if event.territory is not None:
        parts.append(event.territory.name)
    return EventDocument(
        event_id=event.id,
        title=event.title,
        text="\n".join(p for p in parts if p),
        kind=event.kind.value,
    )
