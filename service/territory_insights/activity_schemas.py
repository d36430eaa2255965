"""API shapes that join territories with what they do on Retex (cases, themes, software).

Kept apart from `schemas.py`, which the case and organisation schemas import (no import cycle)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from service.casestudies.schemas import CaseStudySummary
from service.funding.schemas import FundedProjectOut
from service.organisations.schemas import OrganisationRef
from service.pooling.schemas import PoolingOfferOut
from service.software.schemas import SoftwareRef
from service.territories.schemas import (
    PopulationBandOut,
    ScoreParts,
    TerritoryBrief,
    TerritoryOut,
    TerritoryRef,
)


class ThemeCount(BaseModel):
    slug: str
    label: str
    count: int


class SoftwareInTerritory(BaseModel):
    software: SoftwareRef
    via: list[Literal["case", "usage"]] = Field(
        description="case : cité par une de ses expériences ; usage : déclaré par une de ses organisations."
    )
    case_ids: list[int] = []
    organisations: list[OrganisationRef] = []


class ThematicProfile(BaseModel):
    cases: int = Field(description="Expériences indexées qui forment le vecteur thématique.")
    vector: list[float] | None = Field(
        default=None, description="Moyenne normalisée de leurs vecteurs (avec include_vector=true)."
    )


class TerritoryProfile(BaseModel):
    territory: TerritoryOut
    population_band: PopulationBandOut | None
    rural_class: Literal["rural", "intermediaire", "urbain"] | None
    rural_label: str | None
    epci: TerritoryBrief | None = Field(description="Son intercommunalité (commune).")
    epci_members: list[TerritoryBrief] = Field(
        description="Les communes membres (EPCI), ou les autres communes de son EPCI (commune)."
    )
    departement: TerritoryRef | None
    region: TerritoryRef | None
    zone: str | None = Field(description="metro, drom ou com.")
    organisations: list[OrganisationRef]
    cases_owned: list[CaseStudySummary] = Field(description="Publiées par une de ses organisations.")
    cases_concerned: list[CaseStudySummary] = Field(
        description="Qui le citent parmi les territoires concernés."
    )
    themes: list[ThemeCount]
    software: list[SoftwareInTerritory]
    thematic: ThematicProfile


class PeerRef(BaseModel):
    territory: TerritoryBrief
    score: float
    explanation: str
    parts: ScoreParts


class Experience(BaseModel):
    case: CaseStudySummary
    peer: PeerRef = Field(description="Le territoire comparable qui l'a menée, et pourquoi il l'est.")


class FundedExperience(BaseModel):
    project: FundedProjectOut
    peer: PeerRef = Field(description="Le territoire comparable qui l'a financé, et pourquoi il l'est.")


class ExperiencesResponse(BaseModel):
    territory: TerritoryBrief
    items: list[Experience]
    total: int
    next: str | None = None
    funded_projects: list[FundedExperience] = Field(
        default=[],
        description="Projets numériques financés par l'État (DGCL) dans des territoires comparables.",
    )
    funded_total: int = 0


class MutualisationPartner(BaseModel):
    territory: TerritoryBrief
    relation: Literal["same_epci", "own_epci", "same_departement", "own_departement"] = Field(
        description="same_epci : commune de la même intercommunalité ; own_epci : l'intercommunalité "
        "elle-même ; same_departement : territoire du même département ; own_departement : le département."
    )
    state: Literal["solved", "in_progress", "stopped"] = Field(
        description="solved : un projet déployé ou généralisé ; in_progress : idée ou expérimentation ; "
        "stopped : projet arrêté."
    )
    explanation: str
    cases: list[CaseStudySummary]


class MutualisationResponse(BaseModel):
    territory: TerritoryBrief
    scope: Literal["epci", "departement"]
    query: str | None
    theme: str | None
    items: list[MutualisationPartner]
    total: int
    next: str | None = None
    pooling: list[PoolingOfferOut] = Field(
        default=[],
        description="Organismes de mutualisation (syndicats, agences techniques, EPCI) au service des "
        "communes "
        "de son intercommunalité ou de son département, et leurs outils partagés.",
    )


class FitMatch(BaseModel):
    territory: TerritoryBrief
    score: float
    explanation: str
    parts: ScoreParts


class CaseFit(BaseModel):
    case_id: int
    territory: TerritoryBrief = Field(description="Le territoire du lecteur.")
    score: float | None = Field(description="Proximité (0 à 1) ; None si l'expérience n'a pas de territoire.")
    explanation: str
    matches: list[FitMatch] = Field(description="Chaque territoire de l'expérience, le plus proche d'abord.")
