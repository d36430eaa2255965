"""Pooling bodies (syndicats mixtes, agences techniques, EPCI, départements) and the shared tools they
offer the communes of their perimeter (Base Adresse Locale partners)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base, Timestamped
from service.db.provenance import Provenance
from service.organisations.models import Organisation
from service.territories.models import Territory

# The territories whose communes the offer serves: an EPCI, or départements.
pooling_offer_territories = Table(
    "pooling_offer_territories",
    Base.metadata,
    Column("offer_id", ForeignKey("pooling_offers.id", ondelete="CASCADE"), primary_key=True),
    Column("territory_id", ForeignKey("territories.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class PoolingOffer(Provenance, Timestamped, Base):
    __tablename__ = "pooling_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_key: Mapped[str] = mapped_column(String(140), unique=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[int] = mapped_column(Integer)  # 1 intercommunal, 2 départemental, 3 régional
    perimeter_label: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    services: Mapped[str] = mapped_column(String(500), default="")  # "; "-separated
    link: Mapped[str | None] = mapped_column(String(500))

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    territories: Mapped[list[Territory]] = relationship(
        secondary=pooling_offer_territories, lazy="selectin", order_by=Territory.code
    )

    @property
    def service_list(self) -> list[str]:
        return [s for s in self.services.split("; ") if s]
