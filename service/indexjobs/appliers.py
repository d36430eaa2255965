"""How each indexed kind reaches its collection: a small registry, kind -> applier.

An applier loads the current state of some entities from the database and writes it to the index
(upsert what must be there, remove the rest); it also says which entities should be in the index and
which are, for the start-up reconciliation and /readyz (consistency.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from indexing.case_index import CaseIndexer
from indexing.document_index import EVENTS, SELECTIONS, THREADS, DocumentIndexer, WholeDocument
from indexing.index_types import FieldFilter
from indexing.vector_index import VectorIndex
from service.casestudies.models import CaseStudy, PublicationState
from service.collections.indexing import collection_documents, searchable_collections
from service.contests.distinctions import distinction_values
from service.discussions.indexing import searchable_threads, thread_documents
from service.events.indexing import event_documents, searchable_events
from service.indexjobs.models import IndexKind
from service.search_engine.documents import case_document
from service.search_engine.engine import SearchEngine

# Every indexed case has a passage 0: counting those counts cases, not passages.
FIRST_PASSAGES = FieldFilter(ranges={"passage": (0, 0)})


class Applier(Protocol):
    kind: IndexKind
    # First key of pg_advisory_xact_lock(int, int) for this kind's entities (worker.py).
    lock_namespace: int

    def apply(self, session: Session, entity_ids: Sequence[int]) -> int:
        """Write the entities' current state to the index; returns how many are indexed now."""
        ...

    def expected_ids(self, session: Session) -> set[int]:
        """Entities that must be in the index, by the database."""
        ...

    def expected_count(self, session: Session) -> int: ...

    def indexed_ids(self) -> set[int]: ...

    def indexed_count(self) -> int: ...


@dataclass
class CaseApplier:
    """Published case studies -> their passages in the `passages` collection."""

    engine: SearchEngine  # read at each call: the engine's indexer may be replaced (tests)
    kind: IndexKind = IndexKind.case
    lock_namespace: int = 0x5258  # "RX"

    @property
    def indexer(self) -> CaseIndexer:
        return self.engine.indexer

    @property
    def index(self) -> VectorIndex:
        return self.engine.index

    def apply(self, session: Session, entity_ids: Sequence[int]) -> int:
        cases = session.scalars(select(CaseStudy).where(CaseStudy.id.in_(entity_ids))).all()
        public = [c for c in cases if c.publication_state is PublicationState.published]
        won = distinction_values(session, [c.id for c in public])
        self.indexer.index_cases([case_document(c, distinctions=won.get(c.id, [])) for c in public])
        self.indexer.remove_cases(sorted(set(entity_ids) - {c.id for c in public}))
        return len(public)

    def expected_ids(self, session: Session) -> set[int]:
        stmt = select(CaseStudy.id).where(CaseStudy.publication_state == PublicationState.published)
        return set(session.scalars(stmt))

    def expected_count(self, session: Session) -> int:
        stmt = select(func.count(CaseStudy.id))
        return session.scalar(stmt.where(CaseStudy.publication_state == PublicationState.published)) or 0

    def indexed_ids(self) -> set[int]:
        return {int(p["case_id"]) for _, p in self.index.scroll_payloads(["case_id"], FIRST_PASSAGES)}

    def indexed_count(self) -> int:
        return self.index.count(FIRST_PASSAGES)


@dataclass
class DocumentApplier:
    """Entities indexed one point per document, in their kind's collection: public visible threads with
    something to read, events, public selections. The domain says which entities must be indexed
    (`searchable`) and gives their documents (`documents`: only for those that must be)."""

    indexer: DocumentIndexer
    kind: IndexKind
    lock_namespace: int
    documents: Callable[[Session, Sequence[int]], list[WholeDocument]]
    searchable: Callable[[], Select[int]]

    def apply(self, session: Session, entity_ids: Sequence[int]) -> int:
        docs = self.documents(session, entity_ids)
        self.indexer.index_documents(docs)
        self.indexer.remove_documents(sorted(set(entity_ids) - {d.entity_id for d in docs}))
        return len(docs)

    def expected_ids(self, session: Session) -> set[int]:
        return set(session.scalars(self.searchable()))

    def expected_count(self, session: Session) -> int:
        return session.scalar(select(func.count()).select_from(self.searchable().subquery())) or 0

    def indexed_ids(self) -> set[int]:
        return self.indexer.indexed_ids()

    def indexed_count(self) -> int:
        return self.indexer.indexed_count()


def index_appliers(engine: SearchEngine) -> dict[IndexKind, Applier]:
    """The appliers of the collections this engine has open."""
    appliers: dict[IndexKind, Applier] = {IndexKind.case: CaseApplier(engine)}
    documents = (
        (THREADS, IndexKind.thread, 0x5259, thread_documents, searchable_threads),  # "RY"
        (EVENTS, IndexKind.event, 0x525A, event_documents, searchable_events),  # "RZ"
        (SELECTIONS, IndexKind.collection, 0x525B, collection_documents, searchable_collections),  # "R["
    )
    for document_kind, kind, lock_namespace, load, searchable in documents:
        indexer = engine.indexers.get(document_kind)
        if indexer is not None:
            appliers[kind] = DocumentApplier(indexer, kind, lock_namespace, load, searchable)
    return appliers
