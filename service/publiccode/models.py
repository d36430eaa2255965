"""Code forges of local authorities and their repositories, linked to the authority (an organisation
with its territory) and, where the names match, to a software of the catalogue."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base, Timestamped
from service.db.provenance import Provenance
from service.organisations.models import Organisation
from service.software.models import Software


class CodeForge(Provenance, Timestamped, Base):
    __tablename__ = "code_forges"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(500))
    website: Mapped[str | None] = mapped_column(String(500))
    platform: Mapped[str] = mapped_column(String(40))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class CodeRepository(Provenance, Timestamped, Base):
    __tablename__ = "code_repositories"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500), unique=True)
    forge_id: Mapped[int] = mapped_column(ForeignKey("code_forges.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(60))
    licence: Mapped[str | None] = mapped_column(String(120))
    created_on: Mapped[str | None] = mapped_column(String(10))
    updated_on: Mapped[str | None] = mapped_column(String(10))
    is_fork: Mapped[bool] = mapped_column(Boolean, default=False)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    stars: Mapped[int] = mapped_column(Integer, default=0)
    software_id: Mapped[int | None] = mapped_column(
        ForeignKey("software.id", ondelete="SET NULL"), index=True
    )

    forge: Mapped[CodeForge] = relationship(lazy="joined")
    software: Mapped[Software | None] = relationship(lazy="joined")
