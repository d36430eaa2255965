"""API shapes of events: what an organiser sends, what a reader gets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints, UrlConstraints

from service.api.datetimes import UtcDateTime
from service.api.ids import DbId
from service.api.text import visible_pattern
from service.events.models import EventKind, SessionKind
from service.organisations.schemas import OrganisationRef
from service.territories.schemas import TerritoryRef
from service.themes.schemas import ThemeOut

KIND_LABELS: dict[EventKind, str] = {
    EventKind.regional_meeting: "Rencontre régionale",
    EventKind.forum: "Forum",
    EventKind.webinar: "Webinaire",
    EventKind.visit: "Visite",
}
SESSION_KIND_LABELS: dict[SessionKind, str] = {
    SessionKind.round_table: "Table ronde",
    SessionKind.talk: "Intervention",
    SessionKind.audition: "Auditions",
}

Line = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    Field(pattern=visible_pattern(1)),
]
OptionalLine = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Markdown = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50_000)]
TimeZoneName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=60),
    Field(description="Fuseau horaire IANA des heures annoncées, par exemple Europe/Paris."),
]


class SpeakerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: DbId | None = Field(default=None, description="Un compte Retex, s'il en a un.")
    name: Line | None = Field(default=None, description="Nom affiché (obligatoire sans compte).")
    organisation: OptionalLine = ""


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Line
    kind: SessionKind = SessionKind.round_table
    description: Markdown = ""
    starts_at: datetime | None = Field(
        default=None, description="Début de la session, avec son décalage horaire, pendant l'événement."
    )
    ends_at: datetime | None = Field(
        default=None, description="Fin de la session, avec son décalage horaire."
    )
    themes: Annotated[list[str], Field(max_length=10, description="Slugs de thèmes (voir /themes).")] = []
    speakers: Annotated[list[SpeakerIn], Field(max_length=30)] = []
    case_study_ids: Annotated[
        list[DbId], Field(max_length=30, description="Expériences présentées pendant la session.")
    ] = []


class EventIn(BaseModel):
    """An event as its organiser publishes it (creation, or full replacement on edit)."""

    model_config = ConfigDict(extra="forbid")

    title: Line
    kind: EventKind
    starts_at: datetime = Field(description="Début, avec son décalage horaire (ISO 8601).")
    ends_at: datetime = Field(description="Fin, avec son décalage horaire (ISO 8601).")
    timezone: TimeZoneName = "Europe/Paris"
    territory_code: Annotated[str | None, Field(max_length=20, description="Code du territoire du lieu.")] = (
        None
    )
    address: OptionalLine = ""
    online_url: Annotated[AnyHttpUrl, UrlConstraints(max_length=500)] | None = None
    organisation_id: DbId
    description: Markdown = ""
    sessions: Annotated[list[SessionIn], Field(max_length=40)] = []


class SpeakerOut(BaseModel):
    user_id: int | None
    name: str
    organisation: str


class CaseRef(BaseModel):
    id: int
    slug: str
    title: str


class SessionOut(BaseModel):
    id: int
    title: str
    kind: SessionKind
    description: str
    starts_at: UtcDateTime | None
    ends_at: UtcDateTime | None
    themes: list[ThemeOut]
    speakers: list[SpeakerOut]
    case_studies: list[CaseRef]


class EventSummary(BaseModel):
    id: int
    title: str
    kind: EventKind
    starts_at: UtcDateTime
    ends_at: UtcDateTime
    timezone: str
    territory: TerritoryRef | None
    address: str
    online: bool
    organisation: OrganisationRef
    attendees: int
    url: str = Field(description="Page de l'événement (chemin relatif).")
    ics_url: str = Field(description="Fichier iCalendar de l'événement (chemin relatif).")
    updated_at: UtcDateTime = Field(description="Dernière modification (voir `updated_since`).")


class EventOut(EventSummary):
    description: str = Field(description="Markdown.")
    online_url: str | None
    note: str | None = Field(description="Provenance, quand l'événement n'a pas été saisi sur Retex.")
    sessions: list[SessionOut]
    created_at: UtcDateTime


class AttendanceOut(BaseModel):
    event_id: int
    attending: bool
    attendees: int
