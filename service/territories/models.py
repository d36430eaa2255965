"""Territories from the official administrative split (INSEE COG, DGCL EPCI)."""

from __future__ import annotations

import enum

from sqlalchemy import Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base, Timestamped


class TerritoryKind(enum.StrEnum):
    commune = "commune"
    epci = "epci"
    ept = "ept"
    departement = "departement"
    region = "region"
    syndicat_mixte = "syndicat_mixte"
    other = "other"


class EpciForm(enum.StrEnum):
    """Legal form of an intercommunality (DGCL): CC, CA, CU, métropole (incl. Lyon)."""

    cc = "CC"
    ca = "CA"
    cu = "CU"
    metropole = "METRO"


class Territory(Timestamped, Base):
    __tablename__ = "territories"

    id: Mapped[int] = mapped_column(primary_key=True)
    # INSEE code for communes, département and région codes, SIREN for EPCI/EPT/syndicats.
    code: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[TerritoryKind] = mapped_column(Enum(TerritoryKind, native_enum=False, length=20), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # Lower-case, accent-free name for fast prefix search (range scan on an index).
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    epci_form: Mapped[EpciForm | None] = mapped_column(Enum(EpciForm, native_enum=False, length=10))
    population: Mapped[int | None] = mapped_column(Integer)
    siren: Mapped[str | None] = mapped_column(String(9), index=True)
    departement_code: Mapped[str | None] = mapped_column(String(3), index=True)
    region_code: Mapped[str | None] = mapped_column(String(3), index=True)
    zone: Mapped[str | None] = mapped_column(String(10))
    postal_codes: Mapped[str | None] = mapped_column(String(200))
    parent_epci_id: Mapped[int | None] = mapped_column(ForeignKey("territories.id", ondelete="SET NULL"))

    parent_epci: Mapped[Territory | None] = relationship(remote_side=[id], lazy="joined", join_depth=1)

    __table_args__ = (Index("ix_territories_kind_population", "kind", "population"),)
