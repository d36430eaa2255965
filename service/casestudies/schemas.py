"""API shapes of case studies, with the validation rules a writer sees."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    UrlConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema

from service.api.datetimes import UtcDateTime
from service.api.ids import DbId
from service.api.text import drop_nul, visible_pattern
from service.casestudies.models import ProjectStatus, PublicationState
from service.organisations.schemas import OrganisationRef
from service.software.schemas import SoftwareRef
from service.territories.schemas import TerritoryRef
from service.themes.schemas import ThemeOut

# The French words for a project's status and a case's sections, for every page, feed and export.
STATUS_LABELS = {
    ProjectStatus.idea: "Idée",
    ProjectStatus.pilot: "Expérimentation",
    ProjectStatus.deployed: "Déployé",
    ProjectStatus.generalised: "Généralisé",
    ProjectStatus.stopped: "Arrêté",
}
SECTION_LABELS = {
    "summary": "Résumé",
    "context": "Contexte",
    "solution": "Solution mise en œuvre",
    "results": "Résultats",
    "resources": "Moyens mobilisés",
    "transferability": "Transférabilité",
}


Licence = Literal["etalab-2.0", "cc-by-4.0", "cc-by-sa-4.0", "cc-by-nc-sa-4.0"]
LICENCE_LABELS: dict[str, str] = {
    "etalab-2.0": "Licence Ouverte / Open Licence 2.0",
    "cc-by-4.0": "CC BY 4.0",
    "cc-by-sa-4.0": "CC BY-SA 4.0",
    "cc-by-nc-sa-4.0": "CC BY-NC-SA 4.0",
}
# Licences of imported sources only (an author cannot choose them): the BAL testimonies are MIT.
SOURCE_LICENCE_LABELS: dict[str, str] = {**LICENCE_LABELS, "mit": "Licence MIT"}

# Omittable in a PATCH but not nullable: null is refused, so the JSON schema must not offer it.
NotNull = SkipJsonSchema[None]
# A title is one line: line breaks and runs of spaces become one space (it also goes in email subjects).
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
    AfterValidator(lambda v: " ".join(drop_nul(v).split())),
]
Summary = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), AfterValidator(drop_nul)
]
# The hard cap here only protects the parser; the configurable limit is checked by the service.
Section = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=200_000), AfterValidator(drop_nul)
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), AfterValidator(drop_nul)]


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The pattern says in the schema what the stripping checks: at least one visible character.
    label: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
        Field(pattern=visible_pattern(1)),
    ]
    url: Annotated[AnyHttpUrl, UrlConstraints(max_length=1000)]


class LinkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    label: str
    url: str


def _check_dates(started_on: date | None, ended_on: date | None) -> None:
    if started_on and ended_on and ended_on < started_on:
        raise ValueError("la date de fin (ended_on) précède la date de début (started_on)")


class CaseStudyFields(BaseModel):
    """Fields shared by create and update."""

    model_config = ConfigDict(extra="forbid")

    context: Section = ""
    solution: Section = ""
    results: Section = ""
    resources: Section = ""
    transferability: Section = ""
    budget_eur: Annotated[int | None, Field(ge=0, le=10_000_000_000)] = None
    staff_fte: Annotated[float | None, Field(ge=0, le=100_000)] = None
    funding: ShortText | None = None
    procurement_route: ShortText | None = None
    partners: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=1000)] = None
    status: ProjectStatus = ProjectStatus.idea
    started_on: date | None = None
    ended_on: date | None = None
    themes: Annotated[list[str], Field(max_length=10, description="Slugs de thèmes (voir /themes).")] = []
    territory_codes: Annotated[list[str], Field(max_length=500, description="Codes INSEE/SIREN.")] = []
    software_ids: Annotated[list[DbId], Field(max_length=50)] = []
    organisation_id: DbId | None = None
    links: Annotated[list[LinkIn], Field(max_length=20)] = []
    licence: Licence = "etalab-2.0"


class CaseStudyCreate(CaseStudyFields):
    title: Title
    summary: Summary
    publication_state: Literal["draft", "submitted", "published"] = "draft"

    @field_validator("ended_on")
    @classmethod
    def _dates_in_order(cls, ended_on: date | None, info: ValidationInfo) -> date | None:
        # A field validator (not a model one) so the error names `ended_on`.
        _check_dates(info.data.get("started_on"), ended_on)
        return ended_on


class CaseStudyUpdate(BaseModel):
    """Partial update: only the fields sent are changed. Required fields may be left out, never sent
    as null (the service refuses it; `NotNull` keeps null out of the published schema)."""

    model_config = ConfigDict(extra="forbid")

    title: Title | NotNull = None
    summary: Summary | NotNull = None
    context: Section | NotNull = None
    solution: Section | NotNull = None
    results: Section | NotNull = None
    resources: Section | NotNull = None
    transferability: Section | NotNull = None
    budget_eur: Annotated[int | None, Field(ge=0, le=10_000_000_000)] = None
    staff_fte: Annotated[float | None, Field(ge=0, le=100_000)] = None
    funding: ShortText | None = None
    procurement_route: ShortText | None = None
    partners: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=1000)] = None
    status: ProjectStatus | NotNull = None
    started_on: date | None = None
    ended_on: date | None = None
    themes: Annotated[list[str] | None, Field(max_length=10)] = None
    territory_codes: Annotated[list[str] | None, Field(max_length=500)] = None
    software_ids: Annotated[list[DbId] | None, Field(max_length=50)] = None
    organisation_id: DbId | None = None
    links: Annotated[list[LinkIn] | None, Field(max_length=20)] = None
    licence: Licence | NotNull = None
    publication_state: PublicationState | NotNull = None


class CaseStudySummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    title: str
    summary: str
    status: ProjectStatus
    publication_state: PublicationState
    themes: list[ThemeOut]
    territories: list[TerritoryRef]
    organisation: OrganisationRef | None
    updated_at: UtcDateTime


class SourceOut(BaseModel):
    """Where an imported experience comes from: the source's name and the date of the copy imported."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    snapshot: date
    home: str


class CaseLinkOrigin(BaseModel):
    """One link of an experience to a territory, theme or software, and where it comes from."""

    kind: Literal["territory", "theme", "software"]
    id: int
    label: str
    code: str | None = Field(None, description="Code du territoire (INSEE, SIREN, dep-NN, reg-NN).")
    origin: Literal["declared", "detected", "confirmed"] = Field(
        description="declared : donné par l'auteur ou la source ; detected : suggéré par Retex "
        "(« détecté dans le texte »), à confirmer ; confirmed : suggestion confirmée par un auteur."
    )
    confidence: float | None = Field(None, description="Confiance du lien détecté (0–1).")


class CaseStudyOut(CaseStudySummary):
    context: str
    solution: str
    results: str
    resources: str
    transferability: str
    budget_eur: int | None
    staff_fte: float | None
    funding: str | None
    procurement_route: str | None
    partners: str | None
    started_on: date | None
    ended_on: date | None
    software: list[SoftwareRef]
    links: list[LinkOut]
    licence: str
    attribution: str | None
    source_url: str | None
    note: str | None
    source: SourceOut | None = Field(
        None,
        description="Source d'une expérience importée (nom, date de la copie) ; null si écrite sur Retex.",
    )
    scope: Literal["local", "national"] = Field(
        "local", description="national : un produit de l'État, qui concerne tout le pays."
    )
    completeness: int = Field(0, description="Complétude de la fiche, 0–100.")
    short: bool = Field(False, description="« Fiche courte » : trop peu de texte, écartée des suggestions.")
    created_at: UtcDateTime
    published_at: UtcDateTime | None
    version: Literal["published", "pending"] = Field(
        default="published",
        description="`published` : le texte que lisent tous les lecteurs ; `pending` : la modification en "
        "attente de relecture (ses auteurs et les modérateurs, avec `?version=pending`).",
    )
    pending_revision_id: int | None = Field(
        default=None,
        description="Modification en attente de relecture, s'il y en a une (visible de ses auteurs et "
        "des modérateurs seulement).",
    )
