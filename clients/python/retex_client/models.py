"""The resources of /api/v1 as typed models. A field the client does not know yet is kept, not refused
(`model_extra`): the API adds fields without a new version (docs/api-changelog.md). Values of open lists
(a project status, a kind of territory) are plain strings, so a new value does not break a reader."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Resource(BaseModel):
    """Base of every model: unknown fields are kept in `model_extra`."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Page(Resource, Generic[T]):
    """One page of a list: `next` is the cursor of the following page, None on the last one."""

    items: list[T]
    total: int
    next: str | None = None


class Theme(Resource):
    slug: str
    label: str
    description: str = ""


class TerritoryRef(Resource):
    code: str
    name: str
    kind: str


class Territory(TerritoryRef):
    epci_form: str | None = None
    population: int | None = None
    siren: str | None = None
    departement_code: str | None = None
    region_code: str | None = None
    zone: str | None = None
    postal_codes: list[str] = Field(default_factory=list)
    epci: TerritoryRef | None = None
    updated_at: datetime | None = None


class TerritoryBrief(TerritoryRef):
    population: int | None = None
    departement_code: str | None = None
    region_code: str | None = None
    epci_form: str | None = None
    rural_class: str | None = None
    epci: TerritoryRef | None = None


class SimilarTerritory(Resource):
    territory: TerritoryBrief
    score: float
    explanation: str = ""
    parts: dict[str, Any] = Field(default_factory=dict)
    case_count: int = 0
    themes: list[str] = Field(default_factory=list)


class SimilarTerritories(Resource):
    """The territories most like `territory`, best first."""

    territory: TerritoryBrief
    scope: str
    kinds: list[str] = Field(default_factory=list)
    items: list[SimilarTerritory]
    total: int
    next: str | None = None


class OrganisationRef(Resource):
    id: int
    slug: str
    name: str
    kind: str


class Organisation(OrganisationRef):
    acronym: str | None = None
    siren: str | None = None
    website: str | None = None
    description: str = ""
    territory: TerritoryRef | None = None
    updated_at: datetime | None = None


class SoftwareRef(Resource):
    id: int
    slug: str
    name: str


class Software(SoftwareRef):
    description: str = ""
    licence: str | None = None
    sill_id: int | None = None
    comptoir_id: int | None = None
    wikidata_id: str | None = None
    website: str | None = None
    comptoir_url: str | None = None
    sill_url: str | None = None
    updated_at: datetime | None = None


class Link(Resource):
    label: str
    url: str


class CaseStudySummary(Resource):
    """A case study as lists and search results show it."""

    id: int
    slug: str
    title: str
    summary: str
    status: str
    publication_state: str
    themes: list[Theme] = Field(default_factory=list)
    territories: list[TerritoryRef] = Field(default_factory=list)
    organisation: OrganisationRef | None = None
    updated_at: datetime


class CaseStudy(CaseStudySummary):
    """A whole case study (`getCaseStudy`), with its licence: republish it under that licence."""

    context: str = ""
    solution: str = ""
    results: str = ""
    resources: str = ""
    transferability: str = ""
    budget_eur: int | None = None
    staff_fte: float | None = None
    funding: str | None = None
    procurement_route: str | None = None
    partners: str | None = None
    started_on: date | None = None
    ended_on: date | None = None
    software: list[SoftwareRef] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    licence: str = ""
    attribution: str | None = None
    source_url: str | None = None
    note: str | None = None
    source: dict[str, Any] | None = None
    scope: str = "local"
    completeness: int = 0
    short: bool = False
    created_at: datetime | None = None
    published_at: datetime | None = None
    version: str = "published"
    pending_revision_id: int | None = None


class FacetValue(Resource):
    value: str
    label: str
    count: int


class SearchHit(Resource):
    case: CaseStudySummary
    score: float
    snippet: str = ""
    section: str = ""


class DiscussionHit(Resource):
    id: int
    title: str
    case_study_id: int | None = None
    post_count: int = 0
    snippet: str = ""
    url: str = ""


class EventHit(Resource):
    id: int
    title: str
    kind: str = ""
    starts_at: datetime | None = None
    snippet: str = ""
    url: str = ""


class SearchResults(Resource):
    """One page of `searchCases`; `facets` counts the matching cases per filter value (theme, region…)."""

    items: list[SearchHit]
    total: int
    next: str | None = None
    page: int = 1
    facets: dict[str, list[FacetValue]] = Field(default_factory=dict)
    mode: str = "hybrid"
    discussions: list[DiscussionHit] = Field(default_factory=list)
    events: list[EventHit] = Field(default_factory=list)


class Thread(Resource):
    """A discussion (on a case study, or in a theme)."""

    id: int
    title: str
    case_study_id: int | None = None
    theme_id: int | None = None
    private: bool = False
    locked: bool = False
    author: str = ""
    post_count: int = 0
    created_at: datetime
    last_post_at: datetime | None = None
    updated_at: datetime | None = None


class Webhook(Resource):
    """An endpoint of your key: Retex POSTs the chosen events to `url`, signed with its secret."""

    id: int
    url: str
    description: str = ""
    event_types: list[str]
    active: bool
    disabled_at: datetime | None = None
    disabled_reason: str | None = None
    consecutive_failures: int = 0
    created_at: datetime


class WebhookCreated(Webhook):
    """The answer to `create_webhook`: the only time the signing secret is shown."""

    secret: str


class WebhookDelivery(Resource):
    """One entry of an endpoint's delivery log; `delivery_id` is the `Retex-Webhook-Id` of every try."""

    id: int
    delivery_id: str
    event_type: str
    state: str  # pending, delivered, dead
    attempts: int
    next_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    last_duration_ms: int | None = None
    created_at: datetime
    last_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    payload: dict[str, Any] = Field(default_factory=dict)


class SyncItem(Resource):
    """An item of a mirrored list this client has no model for (an event, a collection, a contest):
    every field is kept (`model_extra`), `id` and `updated_at` are read."""

    id: int
    updated_at: datetime


class Removal(Resource):
    """An item a mirror must delete (`listRemovals`), unless its copy is newer than `removed_at`."""

    id: int
    kind: str  # the list it was in, singular: case-study, organisation, software, territory, thread…
    entity_id: int
    slug: str | None = None  # its code for a territory
    reason: str  # withdrawn, archived, deleted, hidden, unlisted…
    removed_at: datetime
