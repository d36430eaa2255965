"""Who else comes: the attendees of an event whose organisation's territory is comparable to the viewer's
(same kind of territory, same population band — the bands of the territory filters)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts.models import Membership, MembershipStatus, User
from service.events.models import EventAttendance
from service.organisations.models import Organisation
from service.territories.bands import population_band
from service.territories.models import Territory


@dataclass(frozen=True)
class Attendee:
    name: str
    organisation: str
    territory: Territory | None


def _key(t: Territory | None) -> tuple[str, str | None] | None:
    return (t.kind.value, population_band(t.population)) if t is not None else None


def _territories_of(session: Session, user_id: int) -> list[Territory]:
    orgs = session.scalars(
        select(Organisation)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user_id, Membership.status == MembershipStatus.approved)
    )
    return [o.territory for o in orgs if o.territory is not None]


def comparable_attendees(session: Session, event_id: int, viewer_id: int) -> list[Attendee]:
    """Attendees (not the viewer) from a territory like one of the viewer's organisations'."""
    mine = {_key(t) for t in _territories_of(session, viewer_id)}
    if not mine:
        return []
    found: list[Attendee] = []
    rows = session.execute(
        select(User, Organisation)
        .join(EventAttendance, EventAttendance.user_id == User.id)
        .join(Membership, Membership.user_id == User.id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(
            EventAttendance.event_id == event_id,
            User.id != viewer_id,
            Membership.status == MembershipStatus.approved,
        )
        .order_by(User.display_name)
    ).all()
    seen: set[int] = set()
    for user, org in rows:
        if user.id in seen or _key(org.territory) not in mine:
            continue
        seen.add(user.id)
        found.append(Attendee(name=user.display_name, organisation=org.name, territory=org.territory))
    return found
