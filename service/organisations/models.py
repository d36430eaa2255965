"""Organisations: collectivités, associations, companies and State bodies."""

from __future__ import annotations

import enum

from sqlalchemy import Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base, Timestamped
from service.territories.models import Territory


class OrganisationKind(enum.StrEnum):
    collectivite = "collectivite"
    association = "association"
    company = "company"
    state = "state"


class Organisation(Timestamped, Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    acronym: Mapped[str | None] = mapped_column(String(60))
    kind: Mapped[OrganisationKind] = mapped_column(Enum(OrganisationKind, native_enum=False, length=20))
    territory_id: Mapped[int | None] = mapped_column(
        ForeignKey("territories.id", ondelete="SET NULL"), index=True
    )
    siren: Mapped[str | None] = mapped_column(String(9))
    website: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")

    territory: Mapped[Territory | None] = relationship(lazy="joined")
