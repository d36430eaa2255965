"""What moderation keeps: every publication-state change and every edit of a case (who, when, why),
the revisions of published cases waiting for review, and the reports users make about content."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Enum, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.accounts.models import User
from service.casestudies.models import PublicationState
from service.db.base import Base, utcnow


class HistoryEvent(enum.StrEnum):
    state = "state"  # a move through the publication workflow
    edit = "edit"  # an edit applied at once (a draft, or a moderator's edit)
    revision_proposed = "revision_proposed"  # an edit of a published case, waiting for review
    revision_approved = "revision_approved"
    revision_rejected = "revision_rejected"


class RevisionStatus(enum.StrEnum):
    pending = "pending"  # readers still see the published text
    approved = "approved"  # applied to the case by a moderator
    rejected = "rejected"  # with a reason sent to the authors
    superseded = "superseded"  # replaced by a later edit before any decision
    applied = "applied"  # no review needed (a draft, or a moderator's own edit): applied at once


class CaseRevision(Base):
    """One edit of a case: the fields it changes (in the API's PATCH vocabulary) and what they were."""

    __tablename__ = "case_revisions"
    # At most one pending revision per case, even when two edits race (each supersedes the one it saw).
    __table_args__ = (
        Index(
            "uq_case_revisions_one_pending",
            "case_study_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_study_id: Mapped[int] = mapped_column(ForeignKey("case_studies.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[RevisionStatus] = mapped_column(
        Enum(RevisionStatus, native_enum=False, length=20), index=True
    )
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    previous: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(2000))

    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")


class CaseStateChange(Base):
    __tablename__ = "case_state_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_study_id: Mapped[int] = mapped_column(ForeignKey("case_studies.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[PublicationState | None] = mapped_column(
        Enum(PublicationState, native_enum=False, length=20)
    )
    to_state: Mapped[PublicationState] = mapped_column(Enum(PublicationState, native_enum=False, length=20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    event: Mapped[HistoryEvent] = mapped_column(
        Enum(HistoryEvent, native_enum=False, length=20), default=HistoryEvent.state, server_default="state"
    )
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("case_revisions.id", ondelete="SET NULL"))

    actor: Mapped[User | None] = relationship(lazy="joined")


class ReportTarget(enum.StrEnum):
    case_study = "case_study"
    post = "post"


class ReportStatus(enum.StrEnum):
    open = "open"
    upheld = "upheld"  # the content was hidden / withdrawn
    dismissed = "dismissed"


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[ReportTarget] = mapped_column(Enum(ReportTarget, native_enum=False, length=20))
    target_id: Mapped[int] = mapped_column(Integer, index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(String(2000))
    status: Mapped[ReportStatus] = mapped_column(
        Enum(ReportStatus, native_enum=False, length=20), default=ReportStatus.open, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution_note: Mapped[str | None] = mapped_column(String(2000))
