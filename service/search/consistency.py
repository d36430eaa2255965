"""Bring the index back in step with the database: at start-up and with `retex reindex`."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy, PublicationState
from service.search.documents import case_document
from service.search.engine import SearchEngine
from service.search.outbox import IndexJob, enqueue

REINDEX_BATCH = 32


def published_ids(session: Session) -> list[int]:
    stmt = select(CaseStudy.id).where(CaseStudy.publication_state == PublicationState.published)
    return list(session.scalars(stmt.order_by(CaseStudy.id)))


def enqueue_all_if_index_empty(session: Session, engine: SearchEngine) -> int:
    """A missing or wiped index (new data dir, deleted folder) is rebuilt by the worker."""
    if engine.index.count() > 0:
        return 0
    pending = session.scalar(select(func.count(IndexJob.id))) or 0
    ids = published_ids(session)
    if ids and pending < len(ids):
        enqueue(session, set(ids))
        session.commit()
    return len(ids)


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
