"""iCalendar (RFC 5545) files of events, built with the `icalendar` library: one event, or the
subscribable list of upcoming events. Times carry the organiser's time zone (with its VTIMEZONE)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar
from icalendar import Event as VEvent

from service.api.datetimes import as_utc
from service.events.models import Event
from service.events.schemas import KIND_LABELS

ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"
PRODID = "-//Retex//Evenements du reseau//FR"


def _place(event: Event) -> str:
    parts = [event.address] if event.address else []
    if event.territory is not None and event.territory.name not in event.address:
        parts.append(event.territory.name)
    if event.online_url:
        parts.append(f"En ligne : {event.online_url}")
    return ", ".join(parts)


def _local(value: datetime, zone: str) -> datetime:
    return as_utc(value).astimezone(ZoneInfo(zone))


def _vevent(event: Event, base_url: str) -> VEvent:
    item = VEvent()
    item.add("uid", f"event-{event.id}@retex")
    item.add("dtstamp", as_utc(event.updated_at or event.created_at))
    item.add("dtstart", _local(event.starts_at, event.timezone))
    item.add("dtend", _local(event.ends_at, event.timezone))
    item.add("summary", event.title)
    url = f"{base_url}/evenements/{event.id}"
    item.add("url", url)
    programme = [f"- {s.title}" for s in event.sessions]
    text = "\n".join(
        [
            f"{KIND_LABELS[event.kind]} organisée par {event.organisation.name}.",
            event.description,
            *programme,
            url,
        ]
    )
    item.add("description", text.strip())
    place = _place(event)
    if place:
        item.add("location", place)
    item.add("categories", [KIND_LABELS[event.kind]])
    return item


def calendar_of(events: Sequence[Event], *, base_url: str, name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for event in events:
        cal.add_component(_vevent(event, base_url))
    cal.add_missing_timezones()  # one VTIMEZONE per zone used, so every client reads the local times
    data: bytes = cal.to_ical()
    return data
