"""How each indexed kind reaches its collection: a small registry, kind -> applier.

An applier loads the current state of some entities from the database and writes it to the index
(upsert what must be there, remove the rest); it also says which entities should be in the index and
which are, for the start-up reconciliation and /readyz (consistency.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from indexing.case_index import CaseIndexer
from indexing.document_index import DocumentIndexer
from indexing.event_index import EventIndexer
from indexing.index_types import FieldFilter
from indexing.thread_index import ThreadIndexer
from indexing.vector_index import VectorIndex
from service.casestudies.models import CaseStudy, PublicationState
from service.collections.indexing import collection_document, is_searchable, searchable_collections
from service.collections.models import Collection
from service.contests.distinctions import distinction_values
from service.discussions.indexing import searchable_threads, thread_document
from service.discussions.models import Thread
from service.events.indexing import event_document, searchable_events
from service.events.models import Event
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
class ThreadApplier:
    """Public, visible threads with something to read -> one point each in the `threads` collection."""

    engine: SearchEngine
    kind: IndexKind = IndexKind.thread
    lock_namespace: int = 0x5259  # "RY"

    @property
    def indexer(self) -> ThreadIndexer:
        assert self.engine.thread_indexer is not None  # index_appliers() checked it
        return self.engine.thread_indexer

    def apply(self, session: Session, entity_ids: Sequence[int]) -> int:
        threads = session.scalars(select(Thread).where(Thread.id.in_(entity_ids))).all()
        docs = [d for t in threads if (d := thread_document(session, t)) is not None]
        self.indexer.index_threads(docs)
        self.indexer.remove_threads(sorted(set(entity_ids) - {d.thread_id for d in docs}))
        return len(docs)

    def expected_ids(self, session: Session) -> set[int]:
        return set(session.scalars(searchable_threads()))

    def expected_count(self, session: Session) -> int:
        return session.scalar(select(func.count()).select_from(searchable_threads().subquery())) or 0

    def indexed_ids(self) -> set[int]:
        return {int(p["thread_id"]) for _, p in self.indexer.index.scroll_payloads(["thread_id"])}

    def indexed_count(self) -> int:
        return self.indexer.index.count()


@dataclass
class EventApplier:
    """Events -> one point each in the `events` collection."""

    engine: SearchEngine
    kind: IndexKind = IndexKind.event
    lock_namespace: int = 0x525A  # "RZ"

    @property
    def indexer(self) -> EventIndexer:
        assert self.engine.event_indexer is not None  # index_appliers() checked it
        return self.engine.event_indexer

    def apply(self, session: Session, entity_ids: Sequence[int]) -> int:
        events = session.scalars(select(Event).where(Event.id.in_(entity_ids))).unique().all()
        self.indexer.index_events([event_document(e) for e in events])
        self.indexer.remove_events(sorted(set(entity_ids) - {e.id for e in events}))
        return len(events)

    def expected_ids(self, session: Session) -> set[int]:
        return set(session.scalars(searchable_events()))

    def expected_count(self, session: Session) -> int:
        return session.scalar(select(func.count()).select_from(searchable_events().subquery())) or 0

    def indexed_ids(self) -> set[int]:
        return {int(p["event_id"]) for _, p in self.indexer.index.scroll_payloads(["event_id"])}

    def indexed_count(self) -> int:
        return self.indexer.index.count()


@dataclass
class CollectionApplier:
    """Public collections -> one point each in the `selections` collection (unlisted ones removed)."""

    engine: SearchEngine
    kind: IndexKind = IndexKind.collection
    lock_namespace: int = 0x525B  # "R["

    @property
    def indexer(self) -> DocumentIndexer:
        assert self.engine.collection_indexer is not None  # index_appliers() checked it
        return self.engine.collection_indexer

    def apply(self, session: Session, entity_ids: Sequence[int]) -> int:
        found = session.scalars(select(Collection).where(Collection.id.in_(entity_ids))).unique().all()
        public = [c for c in found if is_searchable(c)]
        self.indexer.index_documents([collection_document(c) for c in public])
        self.indexer.remove_documents(sorted(set(entity_ids) - {c.id for c in public}))
        return len(public)

    def expected_ids(self, session: Session) -> set[int]:
        return set(session.scalars(searchable_collections()))

    def expected_count(self, session: Session) -> int:
        return session.scalar(select(func.count()).select_from(searchable_collections().subquery())) or 0

    def indexed_ids(self) -> set[int]:
        return self.indexer.indexed_ids()

    def indexed_count(self) -> int:
        return self.indexer.index.count()


def index_appliers(engine: SearchEngine) -> dict[IndexKind, Applier]:
    """The appliers of the collections this engine has open (the threads one may be absent)."""
    appliers: dict[IndexKind, Applier] = {IndexKind.case: CaseApplier(engine)}
    if engine.thread_indexer is not None:
        appliers[IndexKind.thread] = ThreadApplier(engine)
    if engine.event_indexer is not None:
        appliers[IndexKind.event] = EventApplier(engine)
    if engine.collection_indexer is not None:
        appliers[IndexKind.collection] = CollectionApplier(engine)
    return appliers
