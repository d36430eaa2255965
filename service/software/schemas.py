from __future__ import annotations

from pydantic import BaseModel, ConfigDict, computed_field


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

    @computed_field  # type: ignore[prop-decorator]
    @property
    def comptoir_url(self) -> str | None:
        return f"https://comptoir-du-libre.org/fr/softwares/{self.comptoir_id}" if self.comptoir_id else None
