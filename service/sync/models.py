"""What a partner's mirror must delete (the removals feed), and the (updated_at, id) indexes that serve
`updated_since` walks of the mirrored lists.

A removal row is written in the same transaction as the change that removes the item from the public
lists (service/sync/hooks.py): a published case withdrawn, archived or deleted; a public thread hidden or
deleted; a public collection made unlisted or deleted; an organisation, software, territory, event or
contest deleted. Rows are never updated; they only accumulate (a few per day)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import cast

from sqlalchemy import DateTime, Enum, Index, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from service.casestudies.models import CaseStudy
from service.collections.models import Collection
from service.contests.models import Contest
from service.db.base import Base, utcnow
from service.discussions.models import Thread
from service.events.models import Event
from service.organisations.models import Organisation
from service.software.models import Software
from service.territories.models import Territory


class MirroredKind(enum.StrEnum):
    """The kinds of item a partner mirrors, named like their list (`/case-studies` → case-study)."""

    case_study = "case-study"
    organisation = "organisation"
    software = "software"
    territory = "territory"
    thread = "thread"
    event = "event"
    collection = "collection"
    contest = "contest"


class RemovalReason(enum.StrEnum):
    withdrawn = "withdrawn"  # a published case sent back (rejected after a report, back to draft)
    archived = "archived"  # a published case retired by its authors
    deleted = "deleted"  # the item no longer exists
    merged = "merged"  # reserved: a duplicate folded into another item (not emitted yet)
    hidden = "hidden"  # a public thread hidden by a moderator
    unlisted = "unlisted"  # a public collection made readable by its link only


class Removal(Base):
    __tablename__ = "removals"
    __table_args__ = (Index("ix_removals_removed_at_id", "removed_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MirroredKind] = mapped_column(Enum(MirroredKind, native_enum=False, length=20))
    # No foreign key: the row outlives its item.
    entity_id: Mapped[int] = mapped_column(Integer)
    slug: Mapped[str | None] = mapped_column(String(140))
    reason: Mapped[RemovalReason] = mapped_column(Enum(RemovalReason, native_enum=False, length=20))
    removed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# The order of an `updated_since` walk, (updated_at, id), served by an index on each mirrored table.
MIRRORED: dict[MirroredKind, type[Base]] = {
    MirroredKind.case_study: CaseStudy,
    MirroredKind.organisation: Organisation,
    MirroredKind.software: Software,
    MirroredKind.territory: Territory,
    MirroredKind.thread: Thread,
    MirroredKind.event: Event,
    MirroredKind.collection: Collection,
    MirroredKind.contest: Contest,
}
for _model in MIRRORED.values():
    _table = cast(Table, _model.__table__)
    Index(f"ix_{_table.name}_updated_at_id", _table.c.updated_at, _table.c.id)
