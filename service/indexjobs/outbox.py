"""Queue index jobs inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert
from sqlalchemy.orm import Session

from service.db.base import utcnow
from service.indexjobs.models import IndexJob, IndexKind, JobState


def enqueue(session: Session, kind: IndexKind, entity_ids: Iterable[int]) -> None:
    """Add jobs through the session's own connection, i.e. inside the caller's transaction."""
    ids = sorted(set(entity_ids))
    if ids:
        now = utcnow()
        session.connection().execute(
            insert(IndexJob),
            [
                {
                    "kind": kind,
                    "entity_id": entity_id,
                    "state": JobState.pending,
                    "attempts": 0,
                    "available_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for entity_id in ids
            ],
        )
