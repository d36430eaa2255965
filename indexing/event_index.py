"""Events in the search index: one point per event (title, description and programme), in a collection of
its own so case search is untouched. Search returns event ids, best first, with the text to cut a snippet
from. Same shape as the discussions' collection (thread_index.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from indexing.embedder import Embedder
from indexing.index_types import CollectionSpec, FieldFilter, IndexPoint, SearchMode, stable_point_id
from indexing.retrieval import search_whole_documents
from indexing.sparse import encode_document
from indexing.vector_index import VectorIndex

EVENTS_COLLECTION = "events"
MAX_WORDS = 300  # e5-small reads ~512 tokens: the title, the description and the programme's titles


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
    return CollectionSpec(
        name=EVENTS_COLLECTION,
        dimension=embedder.dimension,
        sparse=True,
        model_name=embedder.model_name,
        keyword_fields=("kind",),
        integer_fields=("event_id",),
    )


def _indexed_text(doc: EventDocument) -> str:
    return f"{doc.title}\n{' '.join(doc.text.split()[:MAX_WORDS])}"


class EventIndexer:
    def __init__(self, embedder: Embedder, index: VectorIndex) -> None:
        self.embedder = embedder
        self.index = index

    def index_events(self, docs: Sequence[EventDocument]) -> int:
        """Upsert one point per event (stable id: replaying a job rewrites the same point)."""
        if not docs:
            return 0
        texts = [_indexed_text(d) for d in docs]
        vectors = self.embedder.embed_passages(texts)
        self.index.upsert(
            [
                IndexPoint(
                    point_id=stable_point_id("event", doc.event_id, 0),
                    dense=vectors[i],
                    sparse=encode_document(texts[i]),
                    payload={
                        "event_id": doc.event_id,
                        "kind": doc.kind,
                        "title": doc.title,
                        "text": texts[i],
                    },
                )
                for i, doc in enumerate(docs)
            ]
        )
        return len(docs)

    def remove_events(self, event_ids: Sequence[int]) -> None:
        if event_ids:
            self.index.delete_where(FieldFilter(any_of={"event_id": list(event_ids)}))

    def search(self, query: str, *, limit: int = 5, mode: SearchMode = "hybrid") -> list[EventHit]:
        hits = search_whole_documents(self.embedder, self.index, query, limit=limit, mode=mode)
        return [
            EventHit(event_id=int(h.payload["event_id"]), score=h.score, text=str(h.payload.get("text", "")))
            for h in hits
        ]
