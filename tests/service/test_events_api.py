"""Events through the JSON API: organisers publish and edit, members attend, readers list upcoming and past
events with filters, cursor pagination; bad input is refused whole, in French."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.events.models import Event
from tests.support.events import PARIS, event_payload, future_start
from tests.support.people import People

API = "/api/v1"


def _ids(client: TestClient, **params: object) -> list[int]:
    """Every event of a filtered list, following the cursor."""
    ids: list[int] = []
    cursor: str | None = None
    while True:
        query = {"limit": 100, **params, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"{API}/events", params=query).json()
        ids += [e["id"] for e in page["items"]]
        cursor = page["next"]
        if not cursor:
            return ids


def _create(client: TestClient, people: People, **overrides: object) -> dict:
    response = client.post(
        f"{API}/events", json=event_payload(people.org_id, **overrides), headers=people.headers("org_admin")
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_an_org_admin_publishes_an_event_that_keeps_its_local_times(
    client: TestClient, people: People
) -> None:
    event = _create(client, people)
    start = datetime.fromisoformat(event["starts_at"])
    assert start.utcoffset() == timedelta(0)  # the API answers in UTC …
    assert start.astimezone(PARIS).hour == 9 and start.astimezone(PARIS).minute == 30  # … of the same instant
    assert event["timezone"] == "Europe/Paris" and event["territory"]["code"] == "75056"
    [table] = event["sessions"]
    assert table["kind"] == "round_table" and table["themes"][0]["slug"] == "open-data"
    assert table["speakers"] == [
        {"user_id": None, "name": "Camille Martin", "organisation": "Ville de Paris"}
    ]
    read = client.get(f"{API}/events/{event['id']}").json()
    assert read["title"] == event["title"] and read["attendees"] == 0


def test_upcoming_lists_soonest_first_and_past_events_stay_out(
    client: TestClient, people: People, session: Session
) -> None:
    later = _create(client, people, days=60)
    sooner = _create(client, people, days=20)
    past_start = future_start(-40)
    past = _create(
        client,
        people,
        starts_at=past_start.isoformat(),
        ends_at=(past_start + timedelta(hours=2)).isoformat(),
    )
    upcoming = _ids(client)
    assert upcoming.index(sooner["id"]) < upcoming.index(later["id"]) and past["id"] not in upcoming
    past_ids = _ids(client, when="past")
    assert past["id"] in past_ids and later["id"] not in past_ids
    assert session.scalar(select(func.count(Event.id)).where(Event.id == past["id"])) == 1


def test_cursor_pagination_walks_every_upcoming_event_once(client: TestClient, people: People) -> None:
    for days in (11, 12, 13):
        _create(client, people, days=days)
    first = client.get(f"{API}/events", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next"] and first["total"] >= 3
    seen = [e["id"] for e in first["items"]]
    cursor = first["next"]
    while cursor:
        page = client.get(f"{API}/events", params={"limit": 2, "cursor": cursor}).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next"]
    assert len(seen) == len(set(seen)) == first["total"]


def test_filters_by_region_theme_and_kind(client: TestClient, people: People) -> None:
    paris = _create(client, people)
    webinar = _create(
        client,
        people,
        kind="webinar",
        territory_code=None,
        address="",
        online_url="https://visio.example.org/salle",
        sessions=[{"title": "Pollens", "kind": "talk", "themes": ["sante-environnement"]}],
    )
    idf = set(_ids(client, region="11"))
    assert paris["id"] in idf and webinar["id"] not in idf
    assert webinar["online"] is True
    health = set(_ids(client, theme="sante-environnement"))
    assert webinar["id"] in health and paris["id"] not in health
    webinars = set(_ids(client, kind="webinar"))
    assert webinar["id"] in webinars and paris["id"] not in webinars


def test_only_organiser_admins_and_moderators_publish_and_edit(client: TestClient, people: People) -> None:
    payload = event_payload(people.org_id)
    assert client.post(f"{API}/events", json=payload, headers=people.headers("member")).status_code == 403
    assert client.post(f"{API}/events", json=payload, headers=people.headers("outsider")).status_code == 403
    assert client.post(f"{API}/events", json=payload).status_code == 401
    assert client.post(f"{API}/events", json=payload, headers=people.headers("moderator")).status_code == 201
    event = _create(client, people)
    edited = {**payload, "title": "Programme modifié"}
    url = f"{API}/events/{event['id']}"
    assert client.put(url, json=edited, headers=people.headers("outsider")).status_code == 403
    response = client.put(url, json=edited, headers=people.headers("org_admin"))
    assert response.status_code == 200 and response.json()["title"] == "Programme modifié"
    handed_over = {**payload, "organisation_id": people.other_org_id}
    assert client.put(url, json=handed_over, headers=people.headers("org_admin")).status_code == 403


def test_a_member_attends_and_withdraws(client: TestClient, people: People) -> None:
    event = _create(client, people)
    url = f"{API}/events/{event['id']}/attendance"
    assert client.put(url).status_code == 401
    assert client.put(url, headers=people.headers("partner")).status_code == 403
    first = client.put(url, headers=people.headers("member")).json()
    again = client.put(url, headers=people.headers("member")).json()
    assert first == again == {"event_id": event["id"], "attending": True, "attendees": 1}
    assert client.get(f"{API}/events/{event['id']}").json()["attendees"] == 1
    assert client.delete(url, headers=people.headers("member")).json()["attendees"] == 0


def test_bad_input_is_refused_in_french_and_nothing_is_written(
    client: TestClient, people: People, session: Session
) -> None:
    before = session.scalar(select(func.count(Event.id)))
    cases = [
        ({"ends_at": future_start(10).isoformat()}, "ends_at"),  # ends before it starts
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"territory_code": "99999"}, "territory_codes"),
        ({"territory_code": None, "address": ""}, "territory_code"),
        ({"sessions": [{"title": "Table", "themes": ["inconnu"]}]}, "themes"),
        ({"sessions": [{"title": "Table", "case_study_ids": [2_000_000]}]}, "sessions.0.case_study_ids"),
        (
            {"sessions": [{"title": "Table", "speakers": [{"organisation": "Sans nom"}]}]},
            "sessions.0.speakers.0.name",
        ),
        ({"starts_at": "2030-01-01T09:00:00"}, "starts_at"),
        ({"starts_at": "0001-01-01T00:00:00+14:00"}, "starts_at"),  # no overflow, a clear refusal
    ]
    for override, field in cases:
        response = client.post(
            f"{API}/events",
            json=event_payload(people.org_id, **override),
            headers=people.headers("org_admin"),
        )
        assert response.status_code == 422, (override, response.text)
        problem = response.json()
        assert problem["errors"][0]["field"] == field, problem
    assert client.get(f"{API}/events/2000000").status_code == 404
    assert client.get(f"{API}/events", params={"cursor": "pas-un-curseur"}).status_code == 422
    session.expire_all()
    assert session.scalar(select(func.count(Event.id))) == before


def test_operations_are_named_in_the_openapi(client: TestClient) -> None:
    spec = client.get(f"{API}/openapi.json").json()
    ids = {
        op["operationId"] for path in spec["paths"].values() for op in path.values() if "operationId" in op
    }
    assert {
        "listEvents",
        "getEvent",
        "createEvent",
        "updateEvent",
        "attendEvent",
        "leaveEvent",
        "getEventCalendar",
        "getUpcomingEventsCalendar",
        "getEventsFeed",
    } <= ids
