"""Calendars and feeds of events: the .ics of an event and the subscribable .ics of upcoming events parse
back (icalendar) with the event's times in its time zone; the Atom feed of new events parses (feedparser)."""

from __future__ import annotations

from datetime import datetime, timedelta

import feedparser
from fastapi.testclient import TestClient
from icalendar import Calendar

from tests.support.events import PARIS, event_payload
from tests.support.people import People

API = "/api/v1"


def _create(client: TestClient, people: People, **overrides: object) -> dict:
    response = client.post(
        f"{API}/events", json=event_payload(people.org_id, **overrides), headers=people.headers("org_admin")
    )
    assert response.status_code == 201, response.text
    return response.json()


def _parse(client: TestClient, url: str) -> Calendar:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def test_an_event_calendar_parses_back_with_its_local_times(client: TestClient, people: People) -> None:
    event = _create(client, people)
    cal = _parse(client, f"{API}/events/{event['id']}/calendar.ics")
    [vevent] = cal.walk("VEVENT")
    start, end = vevent.decoded("dtstart"), vevent.decoded("dtend")
    assert start == datetime.fromisoformat(event["starts_at"]) and end == datetime.fromisoformat(
        event["ends_at"]
    )
    assert str(start.tzinfo) == "Europe/Paris" and (start.hour, start.minute) == (9, 30)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert str(vevent["summary"]) == event["title"]
    assert str(vevent["url"]).endswith(f"/evenements/{event['id']}")
    assert "Hôtel de Ville, Paris" in str(vevent["location"])
    assert "Data : intelligence ou menace ?" in str(vevent["description"])


def test_the_upcoming_calendar_is_filterable_and_leaves_out_past_events(
    client: TestClient, people: People
) -> None:
    webinar = _create(
        client,
        people,
        kind="webinar",
        territory_code=None,
        address="",
        online_url="https://visio.example.org/pollens",
        timezone="America/Martinique",
        sessions=[],
    )
    meeting = _create(client, people)
    past_start = datetime.now(PARIS) - timedelta(days=3)
    past = _create(
        client,
        people,
        starts_at=past_start.isoformat(),
        ends_at=(past_start + timedelta(hours=1)).isoformat(),
    )
    uids = {str(e["uid"]) for e in _parse(client, f"{API}/events/upcoming.ics").walk("VEVENT")}
    assert {f"event-{webinar['id']}@retex", f"event-{meeting['id']}@retex"} <= uids
    assert f"event-{past['id']}@retex" not in uids
    webinars = _parse(client, f"{API}/events/upcoming.ics?kind=webinar")
    found = {str(e["uid"]): e for e in webinars.walk("VEVENT")}
    assert f"event-{meeting['id']}@retex" not in found
    start = found[f"event-{webinar['id']}@retex"].decoded("dtstart")
    assert str(start.tzinfo) == "America/Martinique"
    assert start == datetime.fromisoformat(webinar["starts_at"])
    assert "En ligne : https://visio.example.org/pollens" in str(
        found[f"event-{webinar['id']}@retex"]["location"]
    )
    assert client.get(f"{API}/events/upcoming.ics?kind=colloque").status_code == 422
    assert client.get(f"{API}/events/2000000/calendar.ics").status_code == 404


def test_the_atom_feed_lists_new_events_first(client: TestClient, people: People) -> None:
    event = _create(client, people, days=90)
    response = client.get(f"{API}/feeds/events.atom")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    first = feed.entries[0]
    assert first.title == event["title"] and first.link.endswith(f"/evenements/{event['id']}")
    assert "Rencontre régionale le" in first.summary and "Paris" in first.summary
