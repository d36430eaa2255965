"""When an event takes place, in French and in the organiser's time zone (« 26 juin 2019, 9 h 30 – 17 h »)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
ZONE_NAMES = {"Europe/Paris": "heure de Paris"}


def _local(value: datetime, zone: str) -> datetime:
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return aware.astimezone(ZoneInfo(zone))


def _day(d: datetime) -> str:
    first = "1er" if d.day == 1 else str(d.day)
    return f"{DAYS[d.weekday()]} {first} {MONTHS[d.month - 1]} {d.year}"


def _hour(d: datetime) -> str:
    return f"{d.hour} h {d.minute:02d}" if d.minute else f"{d.hour} h"


def event_when(starts_at: datetime, ends_at: datetime, zone: str) -> str:
    start, end = _local(starts_at, zone), _local(ends_at, zone)
    where = ZONE_NAMES.get(zone, zone)
    if start.date() == end.date():
        return f"{_day(start)}, {_hour(start)} – {_hour(end)} ({where})"
    return f"du {_day(start)}, {_hour(start)} au {_day(end)}, {_hour(end)} ({where})"


def event_day(starts_at: datetime, zone: str) -> str:
    return _day(_local(starts_at, zone))


def session_when(
    starts_at: datetime | None, ends_at: datetime | None, event_starts_at: datetime, zone: str
) -> str:
    """A session's hours (« 9 h 30 – 11 h »), with its day when the event spans several (« mardi … »);
    "" when the organiser gave none."""
    if starts_at is None and ends_at is None:
        return ""
    start = _local(starts_at, zone) if starts_at else None
    end = _local(ends_at, zone) if ends_at else None
    first = start or end
    assert first is not None
    day = "" if first.date() == _local(event_starts_at, zone).date() else f"{_day(first)}, "
    if start and end:
        until = _hour(end) if end.date() == start.date() else f"{_day(end)}, {_hour(end)}"
        return f"{day}{_hour(start)} – {until}"
    return f"{day}à partir de {_hour(start)}" if start else f"{day}jusqu'à {_hour(first)}"
