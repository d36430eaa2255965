"""Organisers publish and edit an event from the site: /evenements/nouveau and /evenements/{id}/modifier,
with CSRF, every error told in French next to its field in one round (422, nothing written), the same
permission checks as the API (the organisation's admins and the moderators), the programme kept on edit."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.events.models import Event
from tests.support.events import event_payload
from tests.support.people import People
from tests.support.web import csrf_from, log_in

NEW = "/evenements/nouveau"


def _form(people: People, title: str, **overrides: str) -> dict[str, str]:
    return {
        "title": title,
        "kind": "webinar",
        "start_date": "2031-03-12",
        "start_time": "14:00",
        "end_date": "2031-03-12",
        "end_time": "16:30",
        "timezone": "Europe/Paris",
        "territory_code": "",
        "address": "",
        "online_url": "https://visio.example.org/atelier",
        "organisation_id": str(people.org_id),
        "description": "Un **atelier** en ligne.",
        **overrides,
    }


def _post(client: TestClient, url: str, data: dict[str, str]) -> object:
    token = csrf_from(client.get(url).text)
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=False)


def test_an_org_admin_publishes_then_edits_an_event_keeping_its_programme(
    client: TestClient, people: People, session: Session
) -> None:
    log_in(client, people.org_admin)
    listing = client.get("/evenements").text
    assert 'href="/evenements/nouveau"' in listing
    title = f"Atelier open data {uuid.uuid4().hex[:6]}"
    response = _post(client, NEW, _form(people, title))
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    location = response.headers["location"]  # type: ignore[attr-defined]
    event = session.scalar(select(Event).where(Event.title == title))
    assert event is not None and location == f"/evenements/{event.id}?enregistre=oui"
    page = client.get(location).text
    assert "L'événement est enregistré." in page and "14 h" in page and "(heure de Paris)" in page
    assert f'href="/evenements/{event.id}/modifier"' in page
    # 14:00 in Paris in March (UTC+1) is 13:00 UTC.
    assert event.starts_at.replace(tzinfo=None).isoformat().startswith("2031-03-12T13:00")

    # An event with a programme (made by the API): the web edit changes the header, keeps the programme.
    made = client.post(
        "/api/v1/events", json=event_payload(people.org_id), headers=people.headers("org_admin")
    ).json()
    url = f"/evenements/{made['id']}/modifier"
    form_page = client.get(url).text
    assert made["title"] in form_page and 'value="Europe/Paris"' in form_page
    edited = _form(people, "Titre changé " + uuid.uuid4().hex[:6], timezone="America/Cayenne")
    assert _post(client, url, edited).status_code == 303  # type: ignore[attr-defined]
    after = client.get(f"/api/v1/events/{made['id']}").json()
    assert after["title"] == edited["title"] and after["timezone"] == "America/Cayenne"
    assert after["starts_at"].startswith("2031-03-12T17:00")  # 14:00 in Cayenne (UTC-3)
    assert [s["title"] for s in after["sessions"]] == [s["title"] for s in made["sessions"]]


def test_bad_input_is_told_field_by_field_in_one_round(
    client: TestClient, people: People, session: Session
) -> None:
    log_in(client, people.moderator)
    before = session.scalar(select(func.count(Event.id)))
    bad = _form(
        people,
        "",
        start_date="12/03/2031",
        end_time="25:99",
        timezone="Mars/Olympus",
        online_url="visio",
        organisation_id="",
        kind="fete",
    )
    response = _post(client, NEW, bad)
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    for message in (
        "Titre : Ce champ est obligatoire.",
        "Date de début : Date invalide : utilisez le format AAAA-MM-JJ.",
        "Heure de fin : Heure invalide : utilisez le format HH:MM.",
        "Fuseau horaire : Fuseau horaire inconnu : « Mars/Olympus »",
        "Organisation organisatrice : Choisissez l&#39;organisation organisatrice dans la liste.",
    ):
        assert message in html, message
    assert 'aria-invalid="true"' in html and 'value="12/03/2031"' in html  # kept as typed
    # The service's own checks (here: no place at all, end before start) come back the same way.
    no_place = _form(people, "Sans lieu", online_url="", end_date="2031-03-11")
    response = _post(client, NEW, no_place)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "Date de fin : La fin précède le début." in response.text  # type: ignore[attr-defined]
    no_place = _form(people, "Sans lieu", online_url="")
    response = _post(client, NEW, no_place)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "Indiquez un lieu : territoire, adresse ou lien en ligne." in response.text  # type: ignore[attr-defined]
    unknown = _form(people, "Lieu inconnu", online_url="", territory_code="99999")
    response = _post(client, NEW, unknown)
    assert response.status_code == 422 and "Territoire du lieu" in response.text  # type: ignore[attr-defined]
    assert session.scalar(select(func.count(Event.id))) == before  # nothing written


def test_only_organisers_and_moderators_get_the_forms(client: TestClient, people: People) -> None:
    assert client.get(NEW, follow_redirects=False).headers["location"] == f"/connexion?suivant={NEW}"
    log_in(client, people.member)
    assert client.get(NEW).status_code == 403
    assert 'href="/evenements/nouveau"' not in client.get("/evenements").text
    made = client.post(
        "/api/v1/events", json=event_payload(people.org_id), headers=people.headers("org_admin")
    ).json()
    assert client.get(f"/evenements/{made['id']}/modifier").status_code == 403
    log_in(client, people.outsider)
    # Another organisation's admin may not publish for this one: the API's rule.
    assert client.get(f"/evenements/{made['id']}/modifier").status_code == 403
    token = csrf_from(client.get(f"/evenements/{made['id']}").text)  # the « je participe » form's
    response = client.post(NEW, data={**_form(people, "Intrus"), "csrf_token": token})
    assert response.status_code == 403
    assert client.get("/evenements/abc/modifier").status_code in (403, 404)
