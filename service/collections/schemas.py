"""API shapes of collections."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from service.api.datetimes import UtcDateTime
from service.api.ids import DbId
from service.api.text import visible_pattern
from service.collections.models import Visibility
from service.organisations.schemas import OrganisationRef

# Stripped after the length check, so the server refuses exactly what the published schema refuses.
Title = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    Field(pattern=visible_pattern(1)),
    AfterValidator(str.strip),
]


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_study_id: DbId
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class CollectionIn(BaseModel):
    """A collection as its curator writes it (creation, or full replacement on edit)."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    introduction: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50_000)] = ""
    visibility: Visibility = Visibility.public
    organisation_id: DbId | None = Field(
        default=None, description="L'organisation qui la tient, s'il y en a une."
    )
    items: Annotated[list[ItemIn], Field(max_length=200, description="Les expériences, dans l'ordre.")] = []


class ItemOut(BaseModel):
    position: int
    case_study_id: int
    slug: str
    title: str
    summary: str
    comment: str


class CollectionSummary(BaseModel):
    id: int
    slug: str
    title: str
    visibility: Visibility
    organisation: OrganisationRef | None
    items: int
    url: str
    updated_at: UtcDateTime


class CollectionOut(BaseModel):
    id: int
    slug: str
    title: str
    introduction: str = Field(description="Markdown.")
    visibility: Visibility
    organisation: OrganisationRef | None
    note: str | None
    items: list[ItemOut]
    url: str
    feed_url: str
    export_url: str
    created_at: UtcDateTime
    updated_at: UtcDateTime
