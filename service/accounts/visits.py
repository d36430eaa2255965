"""When a reader last came to « Mon territoire », so that the page can say what is new since.

A visit is a run of page views with less than VISIT_GAP between them: reloading the page, or coming back
a few minutes later, does not empty « Nouveau depuis ma dernière visite ». Members keep theirs on their
account; anonymous visitors in a cookie (web/visits.py), with the same rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from service.accounts.models import User

VISIT_GAP = timedelta(minutes=30)


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes (UTC by construction)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class Visits:
    previous: datetime | None  # the start of « what is new »: the visit before this one
    last: datetime | None  # the latest page view

    def at(self, now: datetime) -> Visits:
        """The visits once the page is seen at `now`: a new visit after VISIT_GAP, the same one before."""
        last, previous = _utc(self.last), _utc(self.previous)
        if last is None or last > now:  # the first visit (or a clock from the future: start again)
            return Visits(None, now)
        if now - last >= VISIT_GAP:
            return Visits(last, now)
        return Visits(previous, now)


def record_visit(db: Session, *, user_id: int, now: datetime) -> Visits:
    """Count a view of « Mon territoire » by a member; the visits after it (flushed, not committed)."""
    user = db.get(User, user_id)
    if user is None:
        return Visits(None, now)
    visits = Visits(user.territory_previous_visit_at, user.territory_visit_at).at(now)
    user.territory_previous_visit_at, user.territory_visit_at = visits.previous, visits.last
    db.flush()
    return visits
