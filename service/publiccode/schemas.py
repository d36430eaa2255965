"""JSON shapes of code forges, repositories and software publishers."""

from __future__ import annotations

from pydantic import BaseModel, Field

from service.db.provenance import ProvenanceOut
from service.organisations.schemas import OrganisationRef
from service.software.schemas import SoftwareRef
from service.territories.schemas import TerritoryRef


class CodeForgeOut(BaseModel):
    login: str
    name: str
    description: str
    url: str
    website: str | None
    platform: str
    organisation: OrganisationRef = Field(description="La collectivité (ou le groupement) qui publie.")
    territory: TerritoryRef | None
    repositories: int
    provenance: ProvenanceOut


class CodeRepositoryOut(BaseModel):
    id: int
    name: str
    url: str
    description: str
    language: str | None
    licence: str | None
    created_on: str | None
    updated_on: str | None
    is_fork: bool
    is_archived: bool
    stars: int
    forge: str = Field(description="Identifiant (login) de la forge.")
    organisation: OrganisationRef
    territory: TerritoryRef | None
    software: SoftwareRef | None = Field(
        description="Le logiciel du catalogue qu'il publie, s'il est reconnu."
    )
    provenance: ProvenanceOut


class SoftwarePublisherOut(BaseModel):
    organisation: OrganisationRef
    territory: TerritoryRef | None
    forge: str
    forge_url: str
    repositories: int = Field(description="Dépôts (hors copies) de ce logiciel sur cette forge.")
    forks: int = Field(
        description="Copies (forks) de ce logiciel sur cette forge : elles n'en font pas l'éditeur."
    )
    provenance: ProvenanceOut
