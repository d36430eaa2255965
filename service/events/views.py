"""Events as API shapes."""

from __future__ import annotations

from service.events.models import Event
from service.events.schemas import CaseRef, EventOut, EventSummary, SessionOut, SpeakerOut
from service.organisations.schemas import OrganisationRef
from service.territories.schemas import TerritoryRef
from service.themes.schemas import ThemeOut


def event_summary(event: Event, attendees: int) -> EventSummary:
    return EventSummary(
        id=event.id,
        title=event.title,
        kind=event.kind,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        timezone=event.timezone,
        territory=TerritoryRef.model_validate(event.territory) if event.territory is not None else None,
        address=event.address,
        online=event.online_url is not None,
        organisation=OrganisationRef.model_validate(event.organisation),
        attendees=attendees,
        url=f"/evenements/{event.id}",
        ics_url=f"/api/v1/events/{event.id}/calendar.ics",
        updated_at=event.updated_at,
    )


def event_out(event: Event, attendees: int) -> EventOut:
    return EventOut(
        **event_summary(event, attendees).model_dump(),
        description=event.description,
        online_url=event.online_url,
        note=event.note,
        sessions=[
            SessionOut(
                id=s.id,
                title=s.title,
                kind=s.kind,
                description=s.description,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                themes=[ThemeOut.model_validate(t) for t in s.themes],
                speakers=[
                    SpeakerOut(user_id=p.user_id, name=p.name, organisation=p.organisation_name)
                    for p in s.speakers
                ],
                case_studies=[CaseRef(id=c.id, slug=c.slug, title=c.title) for c in s.cases],
            )
            for s in event.sessions
        ],
        created_at=event.created_at,
    )
