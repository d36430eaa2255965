"""The index outbox: every committed change to a case study leaves a job row in the same transaction.

Jobs only name a case; the worker reads the case's current state when it runs, so replaying or
coalescing jobs always converges the index to the database."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Enum, Integer, String, event, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from service.casestudies.models import CaseStudy
from service.db.base import Base, Timestamped, utcnow


class JobState(enum.StrEnum):
    pending = "pending"
    dead = "dead"  # failed too many times: kept with its error for an operator to see


class IndexJob(Timestamped, Base):
    __tablename__ = "index_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: the job must outlive the deletion of its case (to remove it from the index).
    case_study_id: Mapped[int] = mapped_column(Integer, index=True)
    state: Mapped[JobState] = mapped_column(
        Enum(JobState, native_enum=False, length=10), default=JobState.pending, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(String(2000))


def enqueue(session: Session, case_ids: set[int]) -> None:
    """Add jobs through the session's own connection, i.e. inside the caller's transaction."""
    if case_ids:
        now = utcnow()
        session.connection().execute(
            insert(IndexJob),
            [
                {
                    "case_study_id": cid,
                    "state": JobState.pending,
                    "attempts": 0,
                    "available_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for cid in sorted(case_ids)
            ],
        )


@event.listens_for(Session, "after_flush")
def _record_case_changes(session: Session, _context: Any) -> None:
    changed = {
        obj.id
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, CaseStudy)
        and obj.id is not None
        and (obj in session.new or obj in session.deleted or session.is_modified(obj))
    }
    enqueue(session, changed)
