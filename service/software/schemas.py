from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, computed_field

from service.api.datetimes import UtcDateTime
from service.organisations.schemas import OrganisationRef
from service.territories.schemas import TerritoryRef

SILL_DETAIL_URL = "https://code.gouv.fr/sill/detail?name="


class SoftwareRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str


class SoftwareOut(SoftwareRef):
    description: str = ""
    licence: str | None = None
    sill_id: int | None = None
    comptoir_id: int | None = None
    wikidata_id: str | None = None
    website: str | None = None
    updated_at: UtcDateTime = Field(description="Dernière modification (voir `updated_since`).")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def comptoir_url(self) -> str | None:
        return f"https://comptoir-du-libre.org/fr/softwares/{self.comptoir_id}" if self.comptoir_id else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sill_url(self) -> str | None:
        """The SILL catalogue page (code.gouv.fr/sill), addressed by the software's name. Our records
        come from the 2022 SILL, whose names the current catalogue mostly keeps."""
        return f"{SILL_DETAIL_URL}{quote(self.name)}" if self.sill_id else None


class SoftwareUserOut(BaseModel):
    organisation: OrganisationRef
    territory: TerritoryRef | None
    via: list[Literal["usage", "case"]]
    services: list[str] = []
    case_ids: list[int] = []
