"""Collections with one point per document (events, curated selections): title and text, embedded and
weighted for the lexical signal, searched whole. One class for every such kind, told its point kind and
id field; the collection is the kind's own, so case search is untouched."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from indexing.embedder import Embedder
from indexing.index_types import CollectionSpec, FieldFilter, IndexPoint, SearchMode, stable_point_id
from indexing.retrieval import search_whole_documents
from indexing.sparse import encode_document
from indexing.vector_index import VectorIndex

MAX_WORDS = 300  # e5-small reads ~512 tokens: the title, then the start of the text


@dataclass(frozen=True)
class WholeDocument:
    entity_id: int
    title: str
    text: str
    kind: str


@dataclass(frozen=True)
class DocumentHit:
    entity_id: int
    score: float
    text: str


def document_spec(name: str, id_field: str, embedder: Embedder) -> CollectionSpec:
    return CollectionSpec(
        name=name,
        dimension=embedder.dimension,
        sparse=True,
        model_name=embedder.model_name,
        keyword_fields=("kind",),
        integer_fields=(id_field,),
    )


def indexed_text(title: str, text: str) -> str:
    return f"{title}\n{' '.join(text.split()[:MAX_WORDS])}"


class DocumentIndexer:
    def __init__(self, embedder: Embedder, index: VectorIndex, *, point_kind: str, id_field: str) -> None:
        self.embedder = embedder
        self.index = index
        self.point_kind = point_kind
        self.id_field = id_field

    def index_documents(self, docs: Sequence[WholeDocument]) -> int:
        """Upsert one point per document (stable id: replaying a job rewrites the same point)."""
        if not docs:
            return 0
        texts = [indexed_text(d.title, d.text) for d in docs]
        vectors = self.embedder.embed_passages(texts)
        self.index.upsert(
            [
                IndexPoint(
                    point_id=stable_point_id(self.point_kind, doc.entity_id, 0),
                    dense=vectors[i],
                    sparse=encode_document(texts[i]),
                    payload={
                        self.id_field: doc.entity_id,
                        "kind": doc.kind,
                        "title": doc.title,
                        "text": texts[i],
                    },
                )
                for i, doc in enumerate(docs)
            ]
        )
        return len(docs)

    def remove_documents(self, entity_ids: Sequence[int]) -> None:
        if entity_ids:
            self.index.delete_where(FieldFilter(any_of={self.id_field: list(entity_ids)}))

    def find(self, query: str, *, limit: int = 5, mode: SearchMode = "hybrid") -> list[DocumentHit]:
        hits = search_whole_documents(self.embedder, self.index, query, limit=limit, mode=mode)
        return [
            DocumentHit(int(h.payload[self.id_field]), h.score, str(h.payload.get("text", ""))) for h in hits
        ]

    def indexed_ids(self) -> set[int]:
        return {int(p[self.id_field]) for _, p in self.index.scroll_payloads([self.id_field])}


# Curated selections of experiences (service/collections): one point per public selection.
SELECTIONS_COLLECTION = "selections"
SELECTION_ID = "collection_id"


def selections_spec(embedder: Embedder) -> CollectionSpec:
    return document_spec(SELECTIONS_COLLECTION, SELECTION_ID, embedder)


def selection_indexer(embedder: Embedder, index: VectorIndex) -> DocumentIndexer:
    return DocumentIndexer(embedder, index, point_kind="collection", id_field=SELECTION_ID)
