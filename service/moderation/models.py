"""What moderation keeps: every publication-state change of a case (who, when, why) and the
reports users make about content."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.accounts.models import User
from service.casestudies.models import PublicationState
from service.db.base import Base, utcnow


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
