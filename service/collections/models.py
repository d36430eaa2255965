"""Collections: curated, ordered selections of experiences with an introduction (« Sélection régionale
Île-de-France 2019 »), public (listed) or unlisted (reachable by its link only)."""

from __future__ import annotations

import enum

from sqlalchemy import Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.casestudies.models import CaseStudy
from service.db.base import Base, Timestamped
from service.organisations.models import Organisation


class Visibility(enum.StrEnum):
    public = "public"
    unlisted = "unlisted"


class Collection(Timestamped, Base):
    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    introduction: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitised when rendered
    visibility: Mapped[Visibility] = mapped_column(Enum(Visibility, native_enum=False, length=20))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)  # provenance when not written on Retex
    external_key: Mapped[str | None] = mapped_column(String(120), unique=True)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    items: Mapped[list[CollectionItem]] = relationship(
        order_by="CollectionItem.position", cascade="all, delete-orphan", lazy="selectin"
    )


class CollectionItem(Base):
    __tablename__ = "collection_items"
    __table_args__ = (UniqueConstraint("collection_id", "case_study_id", name="uq_collection_items_case"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    case_study_id: Mapped[int] = mapped_column(ForeignKey("case_studies.id", ondelete="CASCADE"), index=True)
    comment: Mapped[str] = mapped_column(Text, default="")  # why the curator chose it

    case_study: Mapped[CaseStudy] = relationship(lazy="joined")
