from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from service.api.datetimes import UtcDateTime
from service.organisations.models import OrganisationKind
from service.territories.schemas import TerritoryRef


class OrganisationRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str
    kind: OrganisationKind


class OrganisationOut(OrganisationRef):
    acronym: str | None = None
    siren: str | None = None
    website: str | None = None
    description: str = ""
    territory: TerritoryRef | None = None
    updated_at: UtcDateTime = Field(description="Dernière modification (voir `updated_since`).")
