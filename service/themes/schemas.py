from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class ThemeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    label: str
    description: str = ""


class ThemeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    label: Annotated[
        str, Field(min_length=2, max_length=120, pattern=r"[0-9A-Za-z]", examples=["Inclusion numérique"])
    ]
    description: Annotated[str, Field(max_length=2000)] = ""


class ThemeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    label: Annotated[str | None, Field(min_length=2, max_length=120, pattern=r"\S")] = None
    description: Annotated[str | None, Field(max_length=2000)] = None
