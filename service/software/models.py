"""Software records (SILL, Comptoir du Libre) and which organisations use them."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base, Timestamped
from service.organisations.models import Organisation


class Software(Timestamped, Base):
    __tablename__ = "software"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    licence: Mapped[str | None] = mapped_column(String(120))
    sill_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    comptoir_id: Mapped[int | None] = mapped_column(Integer)
    wikidata_id: Mapped[str | None] = mapped_column(String(20))
    website: Mapped[str | None] = mapped_column(String(500))


class SoftwareUsage(Timestamped, Base):
    """An organisation uses a software, optionally for a named service (SILL services)."""

    __tablename__ = "software_usages"
    __table_args__ = (UniqueConstraint("software_id", "organisation_id", "service_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    software_id: Mapped[int] = mapped_column(ForeignKey("software.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    service_name: Mapped[str] = mapped_column(String(300), default="")
    service_url: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")

    software: Mapped[Software] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")
