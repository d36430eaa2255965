"""The outbox worker: applies index jobs, retries with backoff, dead-letters after repeated failures."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from service.casestudies.models import CaseStudy, PublicationState
from service.db.base import utcnow
from service.search.documents import case_document
from service.search.engine import SearchEngine
from service.search.outbox import IndexJob, JobState

log = logging.getLogger(__name__)


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
            case_ids = {job.case_study_id for job in jobs}
            try:
                cases = list(session.scalars(select(CaseStudy).where(CaseStudy.id.in_(case_ids))))
                public = [c for c in cases if c.publication_state is PublicationState.published]
                self.engine.indexer.index_cases([case_document(c) for c in public])
                self.engine.indexer.remove_cases(sorted(case_ids - {c.id for c in public}))
            except Exception as exc:  # any failure: retry later, never lose the job
                log.exception("index jobs %s failed", [j.id for j in jobs])
                session.rollback()
                self._record_failure(session, [j.id for j in jobs], exc)
                return len(jobs)
            for job in jobs:
                session.delete(job)
            session.commit()
            return len(jobs)

    def _record_failure(self, session: Session, job_ids: list[int], exc: Exception) -> None:
        for job in session.scalars(select(IndexJob).where(IndexJob.id.in_(job_ids))):
            job.attempts += 1
            job.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            job.available_at = utcnow() + backoff(job.attempts)
            if job.attempts >= self.max_attempts:
                job.state = JobState.dead
        session.commit()

    def run_until_idle(self) -> int:
        handled = 0
        while n := self.run_once():
            handled += n
        return handled

    def backlog(self) -> int:
        with self.session_factory() as session:
            return (
                session.scalar(select(func.count(IndexJob.id)).where(IndexJob.state == JobState.pending)) or 0
            )

    # --- background thread for `retex serve` -------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="retex-outbox", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                handled = self.run_once()
            except Exception:  # e.g. database unreachable: keep the thread alive, retry later
                log.exception("outbox worker iteration failed")
                handled = 0
            if not handled:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
