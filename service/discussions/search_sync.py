"""Keeps the discussions' search collection in step with the database, through an outbox like the
case studies' (service/search/outbox.py): every flush that creates, changes or deletes a thread or a post
writes a `thread_index_jobs` row in the same transaction; `ThreadIndexQueue` applies them (from the
outbox worker's loop), retrying with backoff and setting a job aside as dead after 5 failures."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from indexing.thread_index import ThreadIndexer
from service.db.base import utcnow
from service.discussions.indexing import thread_document
from service.discussions.models import Post, Thread, ThreadIndexJob
from service.search.engine import SearchEngine

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def enqueue_threads(session: Session, thread_ids: set[int]) -> None:
    """Jobs through the session's own connection: inside the caller's transaction."""
    if thread_ids:
        now = utcnow()
        session.connection().execute(
            insert(ThreadIndexJob),
            [
                {"thread_id": tid, "attempts": 0, "available_at": now, "dead": False}
                for tid in sorted(thread_ids)
            ],
        )


def _changed_threads(session: Session) -> set[int]:
    ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if obj in session.dirty and not session.is_modified(obj):
            continue
        if isinstance(obj, Thread) and obj.id is not None:
            ids.add(obj.id)
        elif isinstance(obj, Post) and obj.thread_id is not None:
            ids.add(obj.thread_id)
    return ids


@event.listens_for(Session, "after_flush")
def record_thread_changes(session: Session, _context: Any) -> None:
    enqueue_threads(session, _changed_threads(session))


class ThreadIndexQueue:
    def __init__(
        self, session_factory: sessionmaker[Session], indexer: ThreadIndexer, *, batch_size: int = 32
    ):
        self.session_factory = session_factory
        self.indexer = indexer
        self.batch_size = batch_size

    def run_once(self) -> int:
        """Claim and apply one batch of due jobs; returns how many were handled."""
        with self.session_factory() as session:
            jobs = list(
                session.scalars(
                    select(ThreadIndexJob)
                    .where(ThreadIndexJob.dead.is_(False), ThreadIndexJob.available_at <= utcnow())
                    .order_by(ThreadIndexJob.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)  # concurrent workers on PostgreSQL
                )
            )
            if not jobs:
                return 0
            thread_ids = sorted({job.thread_id for job in jobs})
            try:
                threads = session.scalars(select(Thread).where(Thread.id.in_(thread_ids))).all()
                docs = [d for t in threads if (d := thread_document(session, t)) is not None]
                self.indexer.index_threads(docs)
                self.indexer.remove_threads(sorted(set(thread_ids) - {d.thread_id for d in docs}))
            except Exception as exc:  # retry later, never lose a job
                log.exception("thread index jobs %s failed", [j.id for j in jobs])
                session.rollback()
                self._record_failure(session, [j.id for j in jobs], exc)
                return len(jobs)
            for job in jobs:
                session.delete(job)
            session.commit()
            return len(jobs)

    def _record_failure(self, session: Session, job_ids: list[int], exc: Exception) -> None:
        for job in session.scalars(select(ThreadIndexJob).where(ThreadIndexJob.id.in_(job_ids))):
            job.attempts += 1
            job.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            job.available_at = utcnow() + timedelta(seconds=min(300, 2**job.attempts))
            job.dead = job.attempts >= MAX_ATTEMPTS
        session.commit()

    def enqueue_all_if_index_empty(self) -> int:
        """An empty collection (first start, deleted folder) is refilled from the database."""
        if self.indexer.index.count() > 0:
            return 0
        with self.session_factory() as session:
            ids = set(
                session.scalars(
                    select(Thread.id).where(
                        Thread.private_organisation_id.is_(None), Thread.is_hidden.is_(False)
                    )
                )
            )
            pending = session.scalar(select(func.count(ThreadIndexJob.id))) or 0
            if ids and not pending:
                enqueue_threads(session, ids)
                session.commit()
                return len(ids)
        return 0


def reindex_threads(session_factory: sessionmaker[Session], engine: SearchEngine) -> int:
    """Index every public thread now (`retex reindex`); returns how many."""
    if engine.thread_indexer is None:
        return 0
    done = 0
    with session_factory() as session:
        for thread in session.scalars(select(Thread).order_by(Thread.id)):
            doc = thread_document(session, thread)
            if doc is not None:
                done += engine.thread_indexer.index_threads([doc])
    return done
