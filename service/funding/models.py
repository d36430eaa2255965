"""Projects funded by the State's investment grants (DGCL): light records, not write-ups.

Only the digital ones are kept (service/funding/classifier.py). A member may turn one into a full
experience (a draft prefilled from it, which then follows the normal moderation flow)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base, Timestamped
from service.db.provenance import Provenance
from service.territories.models import Territory


class FundedProject(Provenance, Timestamped, Base):
    __tablename__ = "funded_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "<year>-<row of the source file>": stable across imports of the same files.
    source_key: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(1000))
    title_key: Mapped[str] = mapped_column(Text)  # fold(title): accent-free text filter
    year: Mapped[int] = mapped_column(Integer, index=True)
    scheme: Mapped[str] = mapped_column(String(10))  # DETR, DSIL, DPV, DSID
    category: Mapped[str] = mapped_column(String(20), index=True)  # classifier.DigitalCategory
    cost_eur: Mapped[int | None] = mapped_column(Integer)
    grant_eur: Mapped[int | None] = mapped_column(Integer)
    beneficiary_name: Mapped[str] = mapped_column(String(300))
    beneficiary_kind: Mapped[str] = mapped_column(String(60))
    beneficiary_siren: Mapped[str | None] = mapped_column(String(9))
    departement_code: Mapped[str | None] = mapped_column(String(3), index=True)
    region_code: Mapped[str | None] = mapped_column(String(3), index=True)
    territory_id: Mapped[int | None] = mapped_column(
        ForeignKey("territories.id", ondelete="SET NULL"), index=True
    )

    territory: Mapped[Territory | None] = relationship(lazy="joined")

    __table_args__ = (Index("ix_funded_projects_territory_year", "territory_id", "year"),)
