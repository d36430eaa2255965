"""API shapes of contests, their stages and entries, and of an experience's distinctions."""

from __future__ import annotations

from pydantic import BaseModel, Field

from service.api.datetimes import UtcDateTime
from service.contests.models import EntryResult, StageLevel
from service.organisations.schemas import OrganisationRef

RESULT_LABELS: dict[EntryResult, str] = {
    EntryResult.candidate: "Candidat",
    EntryResult.finalist: "Finaliste",
    EntryResult.laureate: "Lauréat",
}


class StageOut(BaseModel):
    id: int
    name: str
    level: StageLevel
    region_code: str | None
    event_id: int | None = Field(description="L'événement où elle a eu lieu, s'il est sur Retex.")
    planned: str


class EntryOut(BaseModel):
    case_study_id: int
    case_study_slug: str
    case_study_title: str
    category: str
    stage_id: int
    result: EntryResult
    note: str


class ContestSummary(BaseModel):
    id: int
    slug: str
    name: str
    edition: str
    organisation: OrganisationRef
    url: str
    updated_at: UtcDateTime = Field(description="Dernière modification (voir `updated_since`).")


class ContestOut(ContestSummary):
    description: str = Field(description="Markdown.")
    note: str | None
    categories: list[str]
    stages: list[StageOut]
    entries: list[EntryOut]


class DistinctionOut(BaseModel):
    contest_id: int
    contest: str
    edition: str
    category: str
    stage: str
    result: EntryResult
    label: str = Field(description="Le badge tel qu'il s'affiche, en français.")
