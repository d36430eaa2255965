"""Bring the index back in step with the database, for every kind: at start-up (reconcile), in
/readyz (index_status) and with `retex reindex` (rebuild)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.indexjobs.appliers import Applier, index_appliers
from service.indexjobs.models import IndexJob, IndexKind, JobState
from service.indexjobs.outbox import enqueue
from service.search_engine.engine import SearchEngine

REINDEX_BATCH = 32


def reconcile(session: Session, engine: SearchEngine) -> dict[IndexKind, int]:
    """Queue every entity on which the index and the database disagree (missing, or not to be there).

    Run at start-up: a deleted, damaged or wiped collection, or one restored from an older backup,
    comes back in step through the ordinary worker. Returns how many entities were queued, per kind."""
    queued: dict[IndexKind, int] = {}
    for kind, applier in index_appliers(engine).items():
        pending = session.scalars(
            select(IndexJob.entity_id).where(IndexJob.kind == kind, IndexJob.state == JobState.pending)
        )
        to_queue = (applier.expected_ids(session) ^ applier.indexed_ids()) - set(pending)
        enqueue(session, kind, to_queue)
        queued[kind] = len(to_queue)
    session.commit()
    return queued


@dataclass(frozen=True, slots=True)
class KindStatus:
    """One kind in /readyz: outbox backlog, dead-lettered jobs, how far the index is from the DB."""

    expected: int  # entities the database says must be indexed
    indexed: int
    backlog: int
    dead_jobs: int

    @property
    def difference(self) -> int:
        return self.indexed - self.expected

    @property
    def consistent(self) -> bool:
        return self.backlog == 0 and self.difference == 0


@dataclass(frozen=True, slots=True)
class IndexStatus:
    kinds: dict[IndexKind, KindStatus]

    @property
    def published_cases(self) -> int:
        return self.kinds[IndexKind.case].expected

    @property
    def indexed_cases(self) -> int:
        return self.kinds[IndexKind.case].indexed

    @property
    def difference(self) -> int:
        return self.kinds[IndexKind.case].difference

    @property
    def backlog(self) -> int:
        return sum(k.backlog for k in self.kinds.values())

    @property
    def dead_jobs(self) -> int:
        return sum(k.dead_jobs for k in self.kinds.values())

    @property
    def consistent(self) -> bool:
        return all(k.consistent for k in self.kinds.values())


def index_status(session: Session, engine: SearchEngine) -> IndexStatus:
    counts = {
        (kind, state): n
        for kind, state, n in session.execute(
            select(IndexJob.kind, IndexJob.state, func.count(IndexJob.id)).group_by(
                IndexJob.kind, IndexJob.state
            )
        ).all()
    }
    return IndexStatus(
        kinds={
            kind: KindStatus(
                expected=applier.expected_count(session),
                indexed=applier.indexed_count(),
                backlog=counts.get((kind, JobState.pending), 0),
                dead_jobs=counts.get((kind, JobState.dead), 0),
            )
            for kind, applier in index_appliers(engine).items()
        }
    )


def rebuild(session: Session, applier: Applier, on_progress: Callable[[int, int], None] | None = None) -> int:
    """Index every entity of one kind now (its collection is expected empty, e.g. just dropped);
    returns how many are indexed."""
    last_job = session.scalar(select(func.max(IndexJob.id)).where(IndexJob.kind == applier.kind)) or 0
    ids = sorted(applier.expected_ids(session))
    done = indexed = 0
    for start in range(0, len(ids), REINDEX_BATCH):
        batch = ids[start : start + REINDEX_BATCH]
        indexed += applier.apply(session, batch)
        session.expunge_all()
        done += len(batch)
        if on_progress:
            on_progress(done, len(ids))
    # Jobs queued before the rebuild started are covered by it; later ones still run.
    session.execute(delete(IndexJob).where(IndexJob.kind == applier.kind, IndexJob.id <= last_job))
    session.commit()
    return indexed
