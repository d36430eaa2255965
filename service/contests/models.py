"""Contests and labels (an edition, its categories, its stages from a regional selection to the national
final) and their entries: an experience, the stage it reached, its result."""

from __future__ import annotations

import enum

from sqlalchemy import Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.casestudies.models import CaseStudy
from service.db.base import Base, Timestamped
from service.events.models import Event
from service.organisations.models import Organisation


class StageLevel(enum.StrEnum):
    regional = "regional"
    national = "national"


class EntryResult(enum.StrEnum):
    candidate = "candidate"
    finalist = "finalist"
    laureate = "laureate"


class Contest(Timestamped, Base):
    __tablename__ = "contests"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    edition: Mapped[str] = mapped_column(String(20))  # "2019"
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitised when rendered
    note: Mapped[str | None] = mapped_column(Text)  # provenance when not written on Retex
    external_key: Mapped[str | None] = mapped_column(String(120), unique=True)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    categories: Mapped[list[ContestCategory]] = relationship(
        order_by="ContestCategory.position", cascade="all, delete-orphan", lazy="selectin"
    )
    stages: Mapped[list[ContestStage]] = relationship(
        order_by="ContestStage.position", cascade="all, delete-orphan", lazy="selectin"
    )
    entries: Mapped[list[ContestEntry]] = relationship(
        back_populates="contest", cascade="all, delete-orphan", lazy="selectin"
    )


class ContestCategory(Base):
    __tablename__ = "contest_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(120))


class ContestStage(Base):
    __tablename__ = "contest_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # regional selections first, the final last
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[StageLevel] = mapped_column(Enum(StageLevel, native_enum=False, length=20))
    region_code: Mapped[str | None] = mapped_column(String(3))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), index=True)
    # When the stage has no event of its own on Retex (a final announced without its date).
    planned: Mapped[str] = mapped_column(String(200), default="")

    event: Mapped[Event | None] = relationship(lazy="joined")


class ContestEntry(Base):
    __tablename__ = "contest_entries"
    __table_args__ = (UniqueConstraint("stage_id", "case_study_id", name="uq_contest_entries_stage_case"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("contest_categories.id", ondelete="CASCADE"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("contest_stages.id", ondelete="CASCADE"))
    case_study_id: Mapped[int] = mapped_column(ForeignKey("case_studies.id", ondelete="CASCADE"), index=True)
    result: Mapped[EntryResult] = mapped_column(Enum(EntryResult, native_enum=False, length=20))
    note: Mapped[str] = mapped_column(Text, default="")

    contest: Mapped[Contest] = relationship(back_populates="entries", lazy="joined")
    category: Mapped[ContestCategory] = relationship(lazy="joined")
    stage: Mapped[ContestStage] = relationship(lazy="joined")
    case_study: Mapped[CaseStudy] = relationship(lazy="joined")
