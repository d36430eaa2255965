"""What the web forms of events need from the domain: the organisations a person may organise for, and an
event's programme as the API's input, the accounts named as speakers by their @handle."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts.models import Role, User
from service.api.datetimes import as_utc
from service.authz.principal import Principal
from service.casestudies.models import PublicationState
from service.events.models import Event
from service.events.schemas import SessionIn, SpeakerIn
from service.organisations.models import Organisation

MODERATORS = (Role.moderator, Role.admin)


def may_organise(principal: Principal) -> bool:
    """Someone who may publish an event for at least one organisation (Action.manage_event's rule)."""
    return principal.has_role(*MODERATORS) or bool(principal.admin_organisation_ids)


def organiser_choices(session: Session, principal: Principal) -> list[tuple[int, str]]:
    """The organisations `principal` may organise for, by name: all of them for moderators, else those
    they administer."""
    stmt = select(Organisation.id, Organisation.name).order_by(Organisation.name)
    if not principal.has_role(*MODERATORS):
        stmt = stmt.where(Organisation.id.in_(principal.admin_organisation_ids))
    return [(i, name) for i, name in session.execute(stmt)]


def programme_in(event: Event) -> list[SessionIn]:
    """The event's programme as it would be sent again (experiences unpublished since are left out)."""
    return [
        SessionIn(
            title=s.title,
            kind=s.kind,
            description=s.description,
            starts_at=as_utc(s.starts_at) if s.starts_at else None,
            ends_at=as_utc(s.ends_at) if s.ends_at else None,
            themes=[t.slug for t in s.themes],
            speakers=[
                SpeakerIn(user_id=p.user_id, name=p.name or None, organisation=p.organisation_name)
                for p in s.speakers
            ],
            case_study_ids=[c.id for c in s.cases if c.publication_state is PublicationState.published],
        )
        for s in event.sessions
    ]


def speaker_account(session: Session, handle: str) -> User | None:
    """The active account with this @handle (the one of a mention), the oldest if several share it."""
    return session.scalar(
        select(User).where(User.handle == handle, User.is_active).order_by(User.id).limit(1)
    )


def speaker_handles(session: Session, user_ids: list[int]) -> dict[int, str]:
    """The @handles of the accounts named as speakers, to show them again in the form."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.handle).where(User.id.in_(user_ids)))
    return {i: handle for i, handle in rows if handle}
