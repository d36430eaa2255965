"""The index outbox table: every committed change to an indexed entity leaves a job row in the same
transaction (see hooks.py). One table for every kind; a job only names its entity, and the worker reads
the entity's current state when it runs, so replaying or coalescing jobs always converges the index."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, Enum, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, Timestamped, utcnow


class IndexKind(enum.StrEnum):
    """What a job indexes; each kind has one applier (appliers.py)."""

    case = "case"  # a case study: its passages in the `passages` collection
    thread = "thread"  # a discussion thread: one point in the `threads` collection
    event = "event"  # an event of the network: one point in the `events` collection
    collection = "collection"  # a public curated selection: one point in the `selections` collection


class JobState(enum.StrEnum):
    pending = "pending"
    dead = "dead"  # failed too many times: kept with its error for an operator to see


class IndexJob(Timestamped, Base):
    __tablename__ = "index_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[IndexKind] = mapped_column(Enum(IndexKind, native_enum=False, length=20), index=True)
    # No foreign key: the job must outlive the deletion of its entity (to remove it from the index).
    entity_id: Mapped[int] = mapped_column(Integer, index=True)
    state: Mapped[JobState] = mapped_column(
        Enum(JobState, native_enum=False, length=10), default=JobState.pending, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(String(2000))
