"""Where an imported record comes from: shown on its page, in the API and in the exports."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column


class Provenance:
    """Columns of every record imported from open data: the source, its licence, how to credit it, the
    date (or year) of the data and a link to it."""

    source_name: Mapped[str] = mapped_column(String(200))
    source_licence: Mapped[str] = mapped_column(String(120))
    source_attribution: Mapped[str] = mapped_column(String(300))
    source_date: Mapped[str] = mapped_column(String(20))
    source_url: Mapped[str] = mapped_column(String(500))


class ProvenanceOut(BaseModel):
    name: str
    licence: str
    attribution: str
    date: str
    url: str


def provenance_of(record: Provenance) -> ProvenanceOut:
    return ProvenanceOut(
        name=record.source_name,
        licence=record.source_licence,
        attribution=record.source_attribution,
        date=record.source_date,
        url=record.source_url,
    )
