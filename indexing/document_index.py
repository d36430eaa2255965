"""Collections with one point per document: discussions, events and curated selections. Each kind is a
`DocumentKind` (its own collection, so case search is untouched; its id field; the filter fields it keeps)
and one `DocumentIndexer` serves them all: title and start of the text, embedded and weighted for the
lexical signal, searched whole."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from indexing.embedder import Embedder
from indexing.index_types import CollectionSpec, FieldFilter, IndexPoint, SearchMode, stable_point_id
from indexing.retrieval import search_whole_documents
from indexing.sparse import encode_document
from indexing.vector_index import VectorIndex

MAX_WORDS = 300  # e5-small reads ~512 tokens: the title, then the start of the text


@dataclass(frozen=True)
class DocumentKind:
    collection: str  # the index collection of this kind
    point_kind: str  # namespace of the stable point ids
    id_field: str  # payload field holding the entity's id
    keyword_fields: tuple[str, ...] = ()  # filter fields (payload indexes) besides the id
    integer_fields: tuple[str, ...] = ()

    def spec(self, embedder: Embedder) -> CollectionSpec:
        return CollectionSpec(
            name=self.collection,
            dimension=embedder.dimension,
            sparse=True,
            model_name=embedder.model_name,
            keyword_fields=self.keyword_fields,
            integer_fields=(self.id_field, *self.integer_fields),
        )


# Public discussions (service/discussions): title, first message and the start of the replies.
THREADS = DocumentKind("threads", "thread", "thread_id", ("theme",), ("case_id",))
# Events of the network (service/events): description, then the programme.
EVENTS = DocumentKind("events", "event", "event_id", ("kind",))
# Public curated selections (service/collections): introduction, then the experiences chosen.
SELECTIONS = DocumentKind("selections", "collection", "collection_id", ("kind",))
DOCUMENT_KINDS = (THREADS, EVENTS, SELECTIONS)


@dataclass(frozen=True)
class WholeDocument:
    entity_id: int
    title: str
    text: str
    fields: Mapping[str, str | int] = field(default_factory=dict)  # the kind's filter fields


@dataclass(frozen=True)
class DocumentHit:
    entity_id: int
    score: float
    text: str  # what was indexed (title, then text): snippets are cut from it


def indexed_text(title: str, text: str) -> str:
    return f"{title}\n{' '.join(text.split()[:MAX_WORDS])}"


class DocumentIndexer:
    def __init__(self, embedder: Embedder, index: VectorIndex, kind: DocumentKind) -> None:
        self.embedder = embedder
        self.index = index
        self.kind = kind

    def index_documents(self, docs: Sequence[WholeDocument]) -> int:
        """Upsert one point per document (stable id: replaying a job rewrites the same point)."""
        if not docs:
            return 0
        texts = [indexed_text(d.title, d.text) for d in docs]
        vectors = self.embedder.embed_passages(texts)
        id_field = self.kind.id_field
        self.index.upsert(
            [
                IndexPoint(
                    point_id=stable_point_id(self.kind.point_kind, doc.entity_id, 0),
                    dense=vectors[i],
                    sparse=encode_document(texts[i]),
                    payload={id_field: doc.entity_id, **doc.fields, "title": doc.title, "text": texts[i]},
                )
                for i, doc in enumerate(docs)
            ]
        )
        return len(docs)

    def remove_documents(self, entity_ids: Sequence[int]) -> None:
        if entity_ids:
            self.index.delete_where(FieldFilter(any_of={self.kind.id_field: list(entity_ids)}))

    def find(self, query: str, *, limit: int = 5, mode: SearchMode = "hybrid") -> list[DocumentHit]:
        id_field = self.kind.id_field
        hits = search_whole_documents(
            self.embedder, self.index, query, limit=limit, mode=mode, payload_fields=(id_field, "text")
        )
        return [DocumentHit(int(h.payload[id_field]), h.score, str(h.payload.get("text", ""))) for h in hits]

    def indexed_ids(self) -> set[int]:
        return {int(p[self.kind.id_field]) for _, p in self.index.scroll_payloads([self.kind.id_field])}

    def indexed_count(self) -> int:
        return self.index.count()
