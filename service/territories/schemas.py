"""API shapes of territories."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.api.datetimes import UtcDateTime
from service.territories.models import EpciForm, TerritoryKind

KIND_LABELS = {
    TerritoryKind.commune: "Commune",
    TerritoryKind.epci: "Intercommunalité",
    TerritoryKind.ept: "Établissement public territorial",
    TerritoryKind.departement: "Département",
    TerritoryKind.region: "Région",
    TerritoryKind.syndicat_mixte: "Syndicat mixte",
    TerritoryKind.other: "Autre",
}


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
    updated_at: UtcDateTime = Field(description="Dernière modification (voir `updated_since`).")


class PopulationBandOut(BaseModel):
    slug: str
    label: str


class TerritoryBrief(TerritoryRef):
    """A territory as the similarity score sees it."""

    population: int | None = None
    departement_code: str | None = None
    region_code: str | None = None
    epci_form: EpciForm | None = Field(
        default=None, description="Sa forme juridique (EPCI) ou celle de son intercommunalité (commune)."
    )
    rural_class: Literal["rural", "intermediaire", "urbain"] | None = Field(
        default=None, description="Classe rurale/urbaine dérivée (règle documentée dans le README)."
    )
    epci: TerritoryRef | None = None


class ScoreParts(BaseModel):
    """Every term of the documented score (README, « Territoires comparables »)."""

    total: float = Field(description="score = w_s·S + w_t·T + w_g·G, entre 0 et 1")
    structure: float = Field(description="S = 0,50·P + 0,20·F + 0,15·R + 0,15·K")
    population: float = Field(description="P = max(0, 1 − |Δ log10 population|)")
    same_epci_form: bool = Field(description="F")
    rural: float = Field(description="R : 1 même classe, 0,5 classe voisine, 0 sinon")
    same_kind: bool = Field(description="K")
    theme: float | None = Field(description="T : cosinus des vecteurs thématiques (None : pas de vecteur)")
    geography: float = Field(description="G : 1 même EPCI, 0,4 même département, 0,2 même région")
    geography_level: Literal["epci", "departement", "region"] | None = None


class SimilarTerritory(BaseModel):
    territory: TerritoryBrief
    score: float
    explanation: str = Field(description="Pourquoi ce territoire est comparable, en français.")
    parts: ScoreParts
    case_count: int = Field(description="Expériences publiées de ce territoire (porteur ou concerné).")
    themes: list[str] = Field(description="Thèmes de ses expériences, les plus fréquents d'abord.")


class SimilarTerritoriesResponse(BaseModel):
    territory: TerritoryBrief
    scope: Literal["france", "region", "departement"]
    kinds: list[TerritoryKind]
    items: list[SimilarTerritory]
    total: int
    next: str | None = None
