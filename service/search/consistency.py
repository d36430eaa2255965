"""Bring the index back in step with the database: at start-up and with `retex reindex`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from indexing.index_types import FieldFilter
from indexing.vector_index import VectorIndex
from service.casestudies.models import CaseStudy, PublicationState
from service.search.documents import case_document
from service.search.engine import SearchEngine
from service.search.outbox import IndexJob, JobState, enqueue

REINDEX_BATCH = 32


def published_ids(session: Session) -> list[int]:
    stmt = select(CaseStudy.id).where(CaseStudy.publication_state == PublicationState.published)
    return list(session.scalars(stmt.order_by(CaseStudy.id)))


# Every indexed case has a passage 0: counting those counts cases, not passages.
FIRST_PASSAGES = FieldFilter(ranges={"passage": (0, 0)})


def indexed_case_ids(index: VectorIndex) -> set[int]:
    return {int(p["case_id"]) for _, p in index.scroll_payloads(["case_id"], FIRST_PASSAGES)}


def reconcile(session: Session, engine: SearchEngine) -> int:
    """Queue every case on which the index and the database disagree (missing, or not to be there).

    Run at start-up: a deleted, damaged or wiped index, or one restored from an older backup, comes
    back in step through the ordinary worker. Returns how many cases were queued."""
    in_index = indexed_case_ids(engine.index)
    published = set(published_ids(session))
    pending = set(session.scalars(select(IndexJob.case_study_id).where(IndexJob.state == JobState.pending)))
    to_queue = (published ^ in_index) - pending
    if to_queue:
        enqueue(session, to_queue)
        session.commit()
    return len(to_queue)


@dataclass(frozen=True, slots=True)
class IndexStatus:
    """What /readyz reports: outbox backlog, dead-lettered jobs and how far the index is from the DB."""

    published_cases: int
    indexed_cases: int
    backlog: int
    dead_jobs: int

    @property
    def difference(self) -> int:
        return self.indexed_cases - self.published_cases

    @property
    def consistent(self) -> bool:
        return self.backlog == 0 and self.difference == 0


def index_status(session: Session, engine: SearchEngine) -> IndexStatus:
    counts = {
        state: n
        for state, n in session.execute(
            select(IndexJob.state, func.count(IndexJob.id)).group_by(IndexJob.state)
        ).all()
    }
    published = session.scalar(
        select(func.count(CaseStudy.id)).where(CaseStudy.publication_state == PublicationState.published)
    )
    return IndexStatus(
        published_cases=published or 0,
        indexed_cases=engine.index.count(FIRST_PASSAGES),
        backlog=counts.get(JobState.pending, 0),
        dead_jobs=counts.get(JobState.dead, 0),
    )


def reindex_all(
    session: Session, engine: SearchEngine, on_progress: Callable[[int, int], None] | None = None
) -> int:
    """Index every published case now (the index is expected empty, e.g. just dropped)."""
    last_job = session.scalar(select(func.max(IndexJob.id))) or 0
    ids = published_ids(session)
    done = 0
    for start in range(0, len(ids), REINDEX_BATCH):
        batch = ids[start : start + REINDEX_BATCH]
        cases = session.scalars(select(CaseStudy).where(CaseStudy.id.in_(batch))).all()
        engine.indexer.index_cases([case_document(c) for c in cases])
        session.expunge_all()
        done += len(batch)
        if on_progress:
            on_progress(done, len(ids))
    # Jobs queued before the rebuild started are covered by it; later ones still run.
    session.execute(delete(IndexJob).where(IndexJob.id <= last_job))
    session.commit()
    return done
