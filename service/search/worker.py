"""The outbox worker: applies index jobs, retries with backoff, dead-letters after repeated failures.

Several workers may run at once on PostgreSQL (uvicorn workers, `retex worker` processes): each claims
its jobs with `FOR UPDATE SKIP LOCKED`, so a job is handled by one worker only, and takes a
transaction-scoped advisory lock per case before reading it, so two workers never write two states of
the same case to the index in the wrong order. On SQLite there is one claimer (see claim_guard.py)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from indexing.index_types import IndexUnavailableError
from service.casestudies.models import CaseStudy, PublicationState
from service.db.base import utcnow
from service.search.documents import case_document
from service.search.engine import SearchEngine
from service.search.outbox import IndexJob, JobState

log = logging.getLogger(__name__)

# Namespace of Retex's advisory locks (first key of pg_advisory_xact_lock(int, int)): "RX".
ADVISORY_NAMESPACE = 0x5258
MAX_IDLE_SECONDS = 30.0


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(300, 2**attempts))


class OutboxWorker:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        engine: SearchEngine,
        *,
        batch_size: int = 32,
        max_attempts: int = 5,
        poll_seconds: float = 1.0,
    ) -> None:
        self.session_factory = session_factory
        self.engine = engine
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        # Other outboxes applied by the same loop (the discussions' index): each returns jobs handled.
        self._side_queues: list[Callable[[], int]] = []

    def add_side_queue(self, run_once: Callable[[], int]) -> None:
        self._side_queues.append(run_once)

    def _run_side_queues(self) -> int:
        return sum(run_once() for run_once in self._side_queues)

    def run_once(self) -> int:
        """Claim and apply one batch of due jobs; returns how many jobs were handled."""
        with self.session_factory() as session:
            jobs = list(
                session.scalars(
                    select(IndexJob)
                    .where(IndexJob.state == JobState.pending, IndexJob.available_at <= utcnow())
                    .order_by(IndexJob.id)
                    .limit(self.batch_size)
                    # Concurrent workers on PostgreSQL each take different jobs; SQLite ignores it.
                    .with_for_update(skip_locked=True)
                )
            )
            if not jobs:
                return 0
            claimed = [(job.id, job.case_study_id) for job in jobs]
            case_ids = sorted({case_id for _, case_id in claimed})
            self._lock_cases(session, case_ids)
            try:
                self._apply(session, case_ids)
            except IndexUnavailableError:
                # The index server is down: not the jobs' fault, so no attempt is counted (an outage
                # must not dead-letter the queue); the loop waits and tries again.
                session.rollback()
                raise
            except Exception as exc:  # any failure: retry later, never lose the job
                log.warning("index jobs of cases %s failed (%s): retrying case by case", case_ids, exc)
                session.rollback()
                return self._run_one_by_one(session, claimed)
            for job in jobs:
                session.delete(job)
            session.commit()
            return len(jobs)

    def _apply(self, session: Session, case_ids: list[int]) -> None:
        cases = list(session.scalars(select(CaseStudy).where(CaseStudy.id.in_(case_ids))))
        public = [c for c in cases if c.publication_state is PublicationState.published]
        self.engine.indexer.index_cases([case_document(c) for c in public])
        self.engine.indexer.remove_cases(sorted(set(case_ids) - {c.id for c in public}))

    def _run_one_by_one(self, session: Session, jobs: list[tuple[int, int]]) -> int:
        """After a failed batch, isolate the failing case(s): the others must not pay for them.

        jobs: (job id, case id) pairs; the batch's row locks are gone, so each case is claimed again."""
        by_case: dict[int, list[int]] = {}
        for job_id, case_id in jobs:
            by_case.setdefault(case_id, []).append(job_id)
        for case_id, job_ids in by_case.items():
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
            self._lock_cases(session, [case_id])
            try:
                self._apply(session, [case_id])
            except IndexUnavailableError:
                session.rollback()
                raise
            except Exception as exc:
                log.exception("index job(s) %s of case %d failed", job_ids, case_id)
                session.rollback()
                self._record_failure(session, [j.id for j in claimed], exc)
                continue
            for job in claimed:
                session.delete(job)
            session.commit()
        return len(jobs)

    @staticmethod
    def _lock_cases(session: Session, case_ids: list[int]) -> None:
        # Sorted order: two workers locking overlapping sets can never deadlock.
        if session.get_bind().dialect.name != "postgresql":
            return
        for case_id in sorted(case_ids):
            session.execute(
                text("SELECT pg_advisory_xact_lock(:ns, :case_id)"),
                {"ns": ADVISORY_NAMESPACE, "case_id": case_id},
            )

    def _record_failure(self, session: Session, job_ids: list[int], exc: Exception) -> None:
        for job in session.scalars(select(IndexJob).where(IndexJob.id.in_(job_ids))):
            job.attempts += 1
            job.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            job.available_at = utcnow() + backoff(job.attempts)
            if job.attempts >= self.max_attempts:
                job.state = JobState.dead
                log.error("index job %d (case %d) dead-lettered: %s", job.id, job.case_study_id, exc)
        session.commit()

    def run_until_idle(self) -> int:
        handled = 0
        while n := self.run_once() + self._run_side_queues():
            handled += n
        return handled

    def backlog(self) -> int:
        with self.session_factory() as session:
            return (
                session.scalar(select(func.count(IndexJob.id)).where(IndexJob.state == JobState.pending)) or 0
            )

    # --- background thread for `retex serve` and `retex worker` --------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="retex-outbox", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)

    def _loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                handled = self.run_once() + self._run_side_queues()
                failures = 0
            except Exception as exc:  # e.g. database unreachable: keep the thread alive, retry later
                failures += 1
                if failures == 1:
                    log.exception("outbox worker iteration failed; retrying")
                else:
                    log.warning("outbox worker still failing (%d): %s", failures, exc)
                handled = 0
            if not handled:
                wait = self.poll_seconds if not failures else min(MAX_IDLE_SECONDS, 2.0**failures / 2)
                self._wake.wait(wait)
                self._wake.clear()
