"""API shapes of territories."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from service.territories.models import EpciForm, TerritoryKind


class TerritoryRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    kind: TerritoryKind


class TerritoryOut(TerritoryRef):
    epci_form: EpciForm | None = None
    population: int | None = None
    siren: str | None = None
    departement_code: str | None = None
    region_code: str | None = None
    zone: str | None = None
    postal_codes: list[str] = []
    epci: TerritoryRef | None = None
