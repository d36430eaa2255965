"""Events in the search index: one point per event (title, description and programme), in a collection of
its own so case search is untouched. Search returns event ids, best first, with the text to cut a snippet
from. The generic one-point-per-document indexer (document_index.py), for events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from indexing.document_index import MAX_WORDS, DocumentIndexer, WholeDocument, document_spec
from indexing.embedder import Embedder
from indexing.index_types import CollectionSpec, SearchMode
from indexing.vector_index import VectorIndex

EVENTS_COLLECTION = "events"
__all__ = ["EVENTS_COLLECTION", "MAX_WORDS", "EventDocument", "EventHit", "EventIndexer", "events_spec"]


@dataclass(frozen=True)
class EventDocument:
    event_id: int
    title: str
    text: str  # description, then each session's title and description
    kind: str


@dataclass(frozen=True)
class EventHit:
    event_id: int
    score: float
    text: str


def events_spec(embedder: Embedder) -> CollectionSpec:
    return document_spec(EVENTS_COLLECTION, "event_id", embedder)


class EventIndexer(DocumentIndexer):
    def __init__(self, embedder: Embedder, index: VectorIndex) -> None:
        super().__init__(embedder, index, point_kind="event", id_field="event_id")

    def index_events(self, docs: Sequence[EventDocument]) -> int:
        return self.index_documents([WholeDocument(d.event_id, d.title, d.text, d.kind) for d in docs])

    def remove_events(self, event_ids: Sequence[int]) -> None:
        self.remove_documents(event_ids)

    def search(self, query: str, *, limit: int = 5, mode: SearchMode = "hybrid") -> list[EventHit]:
        return [EventHit(h.entity_id, h.score, h.text) for h in self.find(query, limit=limit, mode=mode)]
