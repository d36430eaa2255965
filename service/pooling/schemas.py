"""JSON shapes of pooling offers."""

from __future__ import annotations

from pydantic import BaseModel, Field

from service.db.provenance import ProvenanceOut
from service.organisations.schemas import OrganisationRef
from service.territories.schemas import TerritoryRef


class PoolingOfferOut(BaseModel):
    organisation: OrganisationRef
    level: str = Field(description="intercommunal, departemental ou regional.")
    perimeter_label: str = Field(description="Le périmètre, tel que l'organisme le décrit.")
    perimeter: list[TerritoryRef] = Field(description="L'EPCI ou les départements dont il sert les communes.")
    services: list[str]
    description: str
    link: str | None
    via: TerritoryRef | None = Field(
        default=None, description="Le territoire du périmètre qui contient le territoire demandé."
    )
    explanation: str | None = None
    provenance: ProvenanceOut
