"""Discussions in the search index: one point per public thread (its title, first message and the
start of the replies), in a collection of its own so case search is untouched. Search returns
thread ids, best first, with the text to cut a snippet from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from indexing.embedder import Embedder
from indexing.index_types import CollectionSpec, FieldFilter, IndexPoint, SearchMode, stable_point_id
from indexing.retrieval import search_whole_documents
from indexing.sparse import encode_document
from indexing.vector_index import VectorIndex

THREADS_COLLECTION = "threads"
# e5-small reads ~512 tokens: the title and the first ~300 words carry what a thread is about.
MAX_WORDS = 300


@dataclass(frozen=True)
class ThreadDocument:
    thread_id: int
    title: str
    text: str  # first message, then replies, in order
    theme: str | None = None
    case_id: int | None = None


@dataclass(frozen=True)
class ThreadHit:
    thread_id: int
    score: float
    text: str


def threads_spec(embedder: Embedder) -> CollectionSpec:
    return CollectionSpec(
        name=THREADS_COLLECTION,
        dimension=embedder.dimension,
        sparse=True,
        model_name=embedder.model_name,
        keyword_fields=("theme",),
        integer_fields=("thread_id", "case_id"),
    )


def _indexed_text(doc: ThreadDocument) -> str:
    words = doc.text.split()
    return f"{doc.title}\n{' '.join(words[:MAX_WORDS])}"


class ThreadIndexer:
    def __init__(self, embedder: Embedder, index: VectorIndex) -> None:
        self.embedder = embedder
        self.index = index

    def index_threads(self, docs: Sequence[ThreadDocument]) -> int:
        """Upsert one point per thread (stable id: replaying a job rewrites the same point)."""
        if not docs:
            return 0
        texts = [_indexed_text(d) for d in docs]
        vectors = self.embedder.embed_passages(texts)
        self.index.upsert(
            [
                IndexPoint(
                    point_id=stable_point_id("thread", doc.thread_id, 0),
                    dense=vectors[i],
                    sparse=encode_document(texts[i]),
                    payload={
                        "thread_id": doc.thread_id,
                        "case_id": doc.case_id or 0,
                        "theme": doc.theme or "",
                        "title": doc.title,
                        "text": texts[i],
                    },
                )
                for i, doc in enumerate(docs)
            ]
        )
        return len(docs)

    def remove_threads(self, thread_ids: Sequence[int]) -> None:
        if thread_ids:
            self.index.delete_where(FieldFilter(any_of={"thread_id": list(thread_ids)}))

    def search(self, query: str, *, limit: int = 5, mode: SearchMode = "hybrid") -> list[ThreadHit]:
        hits = search_whole_documents(self.embedder, self.index, query, limit=limit, mode=mode)
        return [
            ThreadHit(
                thread_id=int(h.payload["thread_id"]), score=h.score, text=str(h.payload.get("text", ""))
            )
            for h in hits
        ]
