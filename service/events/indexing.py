"""What the search index knows of an event: plain data for indexing/document_index.py (the search of events
is in service/search/event_results.py)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from indexing.document_index import WholeDocument
from service.events.models import Event


def searchable_events() -> Select[int]:
    """Every event is public: all of them are in the index."""
    return select(Event.id).order_by(Event.id)


def event_document(event: Event) -> WholeDocument:
    parts = [event.description]
    for s in event.sessions:
        parts += [s.title, s.description, *(t.label for t in s.themes), *(c.title for c in s.cases)]
    if event.territory is not None:
        parts.append(event.territory.name)
    return WholeDocument(
        entity_id=event.id,
        title=event.title,
        text="\n".join(p for p in parts if p),
        fields={"kind": event.kind.value},
    )


def event_documents(db: Session, event_ids: Sequence[int]) -> list[WholeDocument]:
    return [event_document(e) for e in db.scalars(select(Event).where(Event.id.in_(event_ids))).unique()]
