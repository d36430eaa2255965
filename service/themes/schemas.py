from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ThemeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    label: str
    description: str = ""
