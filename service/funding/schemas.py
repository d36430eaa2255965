"""JSON shapes of funded projects."""

from __future__ import annotations

from pydantic import BaseModel, Field

from service.db.provenance import ProvenanceOut
from service.territories.schemas import TerritoryRef


class FundedProjectOut(BaseModel):
    id: int
    title: str = Field(description="Intitulé du projet, tel que publié par la DGCL.")
    year: int = Field(description="Exercice de la subvention.")
    scheme: str = Field(description="Dotation : DETR, DSIL, DPV ou DSID.")
    scheme_label: str
    category: str = Field(description="Catégorie numérique (classifieur documenté).")
    category_label: str
    cost_eur: int | None = Field(description="Coût hors taxes, en euros.")
    grant_eur: int | None = Field(description="Subvention de l'État, en euros.")
    beneficiary_name: str
    beneficiary_kind: str
    territory: TerritoryRef | None
    departement_code: str | None
    region_code: str | None
    provenance: ProvenanceOut
