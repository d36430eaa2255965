"""The search of events for the search page and API: their own result type next to the cases, like the
discussions (the events domain gives the documents, service/events/indexing.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexing.document_index import DocumentIndexer
from service.events.models import AS_CARDS, Event
from service.search.side_results import closest


@dataclass(frozen=True)
class EventResult:
    event: Event
    score: float
    snippet: str


def _events(db: Session, ids: list[int]) -> dict[int, Event]:
    return {e.id: e for e in db.scalars(select(Event).where(Event.id.in_(ids)).options(*AS_CARDS)).unique()}


def search_events(db: Session, indexer: DocumentIndexer, query: str, *, limit: int = 3) -> list[EventResult]:
    """The closest events for `query` that share a word with it (service/search/side_results.py)."""
    return [
        EventResult(e, score, snippet)
        for e, score, snippet in closest(db, indexer, query, _events, limit=limit)
    ]
