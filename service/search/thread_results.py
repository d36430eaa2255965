"""The search of discussions for the search page and API: their own result type next to the cases (the
discussions domain gives the documents, service/discussions/indexing.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexing.document_index import DocumentIndexer
from service.discussions.indexing import is_searchable
from service.discussions.models import Thread
from service.search.side_results import closest


@dataclass(frozen=True)
class ThreadResult:
    thread: Thread
    score: float
    snippet: str


def _searchable(db: Session, ids: list[int]) -> dict[int, Thread]:
    """Public, visible threads only: one made private or hidden since it was indexed is never shown."""
    return {t.id: t for t in db.scalars(select(Thread).where(Thread.id.in_(ids))) if is_searchable(t)}


def search_threads(
    db: Session, indexer: DocumentIndexer, query: str, *, limit: int = 3
) -> list[ThreadResult]:
    """The best public threads for `query` that share a word with it (service/search/side_results.py)."""
    return [
        ThreadResult(thread, score, snippet)
        for thread, score, snippet in closest(db, indexer, query, _searchable, limit=limit)
    ]
