"""The search of events for the search page and API: their own result type next to the cases, like the
discussions (the events domain gives the documents, service/events/indexing.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexing.event_index import EventIndexer
from indexing.sparse import highlight
from service.events.models import AS_CARDS, Event


@dataclass(frozen=True)
class EventResult:
    event: Event
    score: float
    snippet: str


def search_events(db: Session, indexer: EventIndexer, query: str, *, limit: int = 3) -> list[EventResult]:
    """The closest events for `query`, rechecked against the database (the index may lag). Next to the
    cases they are a side dish, like the discussions: shown only when they share a word with the query."""
    hits = indexer.search(query, limit=limit * 3)
    wanted = select(Event).where(Event.id.in_([h.event_id for h in hits])).options(*AS_CARDS)
    events = {e.id: e for e in db.scalars(wanted).unique()}
    results = []
    for hit in hits:
        event = events.get(hit.event_id)
        snippet = highlight(hit.text, query)
        if event is not None and "<mark>" in snippet:
            results.append(EventResult(event=event, score=hit.score, snippet=snippet))
    return results[:limit]
