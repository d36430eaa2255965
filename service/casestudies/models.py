"""Case studies ("retours d'expérience"): the core content of Retex."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.casestudies.provenance import Source, source_for_key
from service.db.base import Base, Timestamped
from service.organisations.models import Organisation
from service.software.models import Software
from service.territories.models import Territory
from service.themes.models import Theme


class ProjectStatus(enum.StrEnum):
    idea = "idea"
    pilot = "pilot"
    deployed = "deployed"
    generalised = "generalised"
    stopped = "stopped"


class PublicationState(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    published = "published"
    rejected = "rejected"
    archived = "archived"


# Where a link between a case and a territory, theme or software comes from: set by its author (or the
# source of an imported case), or found in the text by Retex and "suggéré" until an author confirms it.
class LinkOrigin(enum.StrEnum):
    declared = "declared"
    detected = "detected"
    confirmed = "confirmed"


class CaseScope(enum.StrEnum):
    """What a case is about: a place (its territory links) or the whole country (a State product)."""

    local = "local"
    national = "national"


# Below this completeness score (0-100) a case is a "fiche courte": shown as such, kept out of suggestions.
SHORT_BELOW = 35

# The structured Markdown sections, in reading order.
SECTIONS: tuple[str, ...] = ("context", "solution", "results", "resources", "transferability")

case_themes = Table(
    "case_themes",
    Base.metadata,
    Column("case_study_id", ForeignKey("case_studies.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("origin", String(20), nullable=False, server_default="declared"),
)
case_territories = Table(
    "case_territories",
    Base.metadata,
    Column("case_study_id", ForeignKey("case_studies.id", ondelete="CASCADE"), primary_key=True),
    Column("territory_id", ForeignKey("territories.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("origin", String(20), nullable=False, server_default="declared"),
    Column("confidence", Float, nullable=True),
)
case_software = Table(
    "case_software",
    Base.metadata,
    Column("case_study_id", ForeignKey("case_studies.id", ondelete="CASCADE"), primary_key=True),
    Column("software_id", ForeignKey("software.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("origin", String(20), nullable=False, server_default="declared"),
)


class CaseStudy(Timestamped, Base):
    __tablename__ = "case_studies"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    # Where a seeded case came from ("betagouv:<slug>"), so re-seeding updates instead of duplicating.
    external_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(Text)
    context: Mapped[str] = mapped_column(Text, default="")
    solution: Mapped[str] = mapped_column(Text, default="")
    results: Mapped[str] = mapped_column(Text, default="")
    resources: Mapped[str] = mapped_column(Text, default="")
    transferability: Mapped[str] = mapped_column(Text, default="")
    budget_eur: Mapped[int | None] = mapped_column(Integer)
    staff_fte: Mapped[float | None] = mapped_column(Float)
    funding: Mapped[str | None] = mapped_column(String(500))
    procurement_route: Mapped[str | None] = mapped_column(String(500))
    partners: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[ProjectStatus] = mapped_column(
        Enum(ProjectStatus, native_enum=False, length=20), index=True
    )
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    publication_state: Mapped[PublicationState] = mapped_column(
        Enum(PublicationState, native_enum=False, length=20), index=True, default=PublicationState.draft
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    licence: Mapped[str] = mapped_column(String(40), default="etalab-2.0")
    attribution: Mapped[str | None] = mapped_column(String(300))
    source_url: Mapped[str | None] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(String(500))
    # national: a State product, about the whole country rather than the place of its sponsor.
    scope: Mapped[CaseScope] = mapped_column(
        Enum(CaseScope, native_enum=False, length=20), default=CaseScope.local, server_default="local"
    )
    # 0-100, how much of a write-up this is (casestudies/completeness.py); below the bar: "fiche courte".
    completeness: Mapped[int] = mapped_column(Integer, default=0, server_default="0", index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    # Who wrote it on Retex (None for imported cases or a deleted account): may edit it as a draft.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    @property
    def short(self) -> bool:
        """A "fiche courte": too little text to learn from or to suggest (casestudies/completeness.py)."""
        return (self.completeness or 0) < SHORT_BELOW

    @property
    def source(self) -> Source | None:
        """Where an imported case comes from (name, snapshot date); None if written on Retex."""
        return source_for_key(self.external_key)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    themes: Mapped[list[Theme]] = relationship(secondary=case_themes, lazy="selectin", order_by=Theme.slug)
    territories: Mapped[list[Territory]] = relationship(
        secondary=case_territories, lazy="selectin", order_by=Territory.code
    )
    software: Mapped[list[Software]] = relationship(
        secondary=case_software, lazy="selectin", order_by=Software.name
    )
    links: Mapped[list[CaseLink]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CaseLink.position"
    )


class CaseLink(Base):
    __tablename__ = "case_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_study_id: Mapped[int] = mapped_column(ForeignKey("case_studies.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(1000))
