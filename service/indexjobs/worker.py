"""The outbox worker: one loop applies the index jobs of every kind, retries with backoff, and
dead-letters a job after repeated failures.

Several workers may run at once on PostgreSQL (uvicorn workers, `retex worker` processes): each claims
its jobs with `FOR UPDATE SKIP LOCKED`, so a job is handled by one worker only, and takes a
transaction-scoped advisory lock per entity before reading it, so two workers never write two states of
the same entity to the index in the wrong order. On SQLite there is one claimer (see claim_guard.py)."""

from __future__ import annotations

import logging
from collections import defaultdict

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from indexing.index_types import IndexUnavailableError
from service.db.base import utcnow
from service.db.polling import PollingWorker, backoff
from service.indexjobs.appliers import Applier, index_appliers
from service.indexjobs.models import IndexJob, IndexKind, JobState
from service.search_engine.engine import SearchEngine

log = logging.getLogger(__name__)

Entity = tuple[IndexKind, int]


class OutboxWorker(PollingWorker):
    thread_name = "retex-outbox"

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        engine: SearchEngine,
        *,
        batch_size: int = 32,
        max_attempts: int = 5,
        poll_seconds: float = 1.0,
    ) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self.session_factory = session_factory
        self.appliers: dict[IndexKind, Applier] = index_appliers(engine)
        self.batch_size = batch_size
        self.max_attempts = max_attempts

    def run_once(self) -> int:
        """Claim and apply one batch of due jobs (every kind); returns how many jobs were handled."""
        with self.session_factory() as session:
            jobs = list(
                session.scalars(
                    select(IndexJob)
                    .where(
                        IndexJob.state == JobState.pending,
                        IndexJob.available_at <= utcnow(),
                        IndexJob.kind.in_(list(self.appliers)),
                    )
                    .order_by(IndexJob.id)
                    .limit(self.batch_size)
                    # Concurrent workers on PostgreSQL each take different jobs; SQLite ignores it.
                    .with_for_update(skip_locked=True)
                )
            )
            if not jobs:
                return 0
            claimed = [(job.id, (job.kind, job.entity_id)) for job in jobs]
            entities = sorted({entity for _, entity in claimed})
            self._lock(session, entities)
            try:
                self._apply(session, entities)
            except IndexUnavailableError:
                # The index server is down: not the jobs' fault, so no attempt is counted (an outage
                # must not dead-letter the queue); the loop waits and tries again.
                session.rollback()
                raise
            except Exception as exc:  # any failure: retry later, never lose the job
                log.warning("index jobs of %s failed (%s): retrying one by one", entities, exc)
                session.rollback()
                return self._run_one_by_one(session, claimed)
            for job in jobs:
                session.delete(job)
            session.commit()
            return len(jobs)

    def _apply(self, session: Session, entities: list[Entity]) -> None:
        by_kind: dict[IndexKind, list[int]] = defaultdict(list)
        for kind, entity_id in entities:
            by_kind[kind].append(entity_id)
        for kind, ids in by_kind.items():
            self.appliers[kind].apply(session, ids)

    def _run_one_by_one(self, session: Session, jobs: list[tuple[int, Entity]]) -> int:
        """After a failed batch, isolate the failing entity: the others must not pay for it.

        jobs: (job id, entity) pairs; the batch's row locks are gone, so each entity is claimed again."""
        by_entity: dict[Entity, list[int]] = defaultdict(list)
        for job_id, entity in jobs:
            by_entity[entity].append(job_id)
        for entity, job_ids in by_entity.items():
            claimed = list(
                session.scalars(
                    select(IndexJob)
                    .where(IndexJob.id.in_(job_ids), IndexJob.state == JobState.pending)
                    .with_for_update(skip_locked=True)
                )
            )
            if not claimed:
                session.rollback()
                continue
            self._lock(session, [entity])
            try:
                self._apply(session, [entity])
            except IndexUnavailableError:
                session.rollback()
                raise
            except Exception as exc:
                log.exception("index job(s) %s of %s %d failed", job_ids, *entity)
                session.rollback()
                self._record_failure(session, [j.id for j in claimed], exc)
                continue
            for job in claimed:
                session.delete(job)
            session.commit()
        return len(jobs)

    def _lock(self, session: Session, entities: list[Entity]) -> None:
        # One order for every worker: two workers locking overlapping sets can never deadlock.
        if session.get_bind().dialect.name != "postgresql":
            return
        keys = sorted((self.appliers[kind].lock_namespace, entity_id) for kind, entity_id in entities)
        for namespace, entity_id in keys:
            session.execute(
                text("SELECT pg_advisory_xact_lock(:ns, :id)"), {"ns": namespace, "id": entity_id}
            )

    def _record_failure(self, session: Session, job_ids: list[int], exc: Exception) -> None:
        for job in session.scalars(select(IndexJob).where(IndexJob.id.in_(job_ids))):
            job.attempts += 1
            job.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            job.available_at = utcnow() + backoff(job.attempts)
            if job.attempts >= self.max_attempts:
                job.state = JobState.dead
                log.error("index job %d (%s %d) dead-lettered: %s", job.id, job.kind, job.entity_id, exc)
        session.commit()

    def backlog(self) -> int:
        with self.session_factory() as session:
            return (
                session.scalar(select(func.count(IndexJob.id)).where(IndexJob.state == JobState.pending)) or 0
            )
