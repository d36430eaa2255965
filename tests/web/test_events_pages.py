"""Event pages: upcoming events on the home page and the list, an event's page with its programme and the
experiences presented, « je participe » through the form (CSRF), who else comes from a comparable territory,
the seeded Paris step of 2019 in the past events and on the experiences presented there."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts.models import Membership, Role, User
from service.accounts.passwords import hash_password
from service.db.base import utcnow
from service.organisations.models import Organisation
from tests.support.events import event_payload
from tests.support.people import PASSWORD, People, Person
from tests.support.web import csrf_from, log_in

API = "/api/v1"


def _create(client: TestClient, people: People, **overrides: object) -> dict:
    response = client.post(
        f"{API}/events", json=event_payload(people.org_id, **overrides), headers=people.headers("org_admin")
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_an_upcoming_event_shows_on_the_home_page_and_its_own_page(
    client: TestClient, people: People
) -> None:
    # The home page shows the three soonest upcoming events: this one starts before any other test's
    # (the browser tests create events starting within the hour).
    start = utcnow() + timedelta(minutes=5)
    soonest = _create(
        client, people, starts_at=start.isoformat(), ends_at=(start + timedelta(hours=2)).isoformat()
    )
    home = client.get("/").text
    assert "Prochains événements" in home and f'href="/evenements/{soonest["id"]}"' in home
    event = _create(client, people, days=1)
    page = client.get(f"/evenements/{event['id']}")
    assert page.status_code == 200
    html = page.text
    assert event["title"] in html and "Table ronde : Data : intelligence ou menace ?" in html
    assert (
        "Camille Martin (Ville de Paris)" in html
        and "(heure de Paris)" in html
        and " 9 h 30 – 17 h 30" in html
    )
    assert f'href="/api/v1/events/{event["id"]}/calendar.ics"' in html and "Ajouter à mon agenda" in html
    assert "<strong>tables rondes</strong>" in html and "<script>alert(1)</script>" not in html
    assert "Connectez-vous</a> pour dire que vous participez" in html


def _person_of(session: Session, org_name: str, name: str) -> Person:
    """A verified member of a seeded organisation (with its territory), who can log in."""
    org = session.scalar(select(Organisation).where(Organisation.name == org_name))
    assert org is not None and org.territory is not None, org_name
    email = f"{uuid.uuid4().hex[:8]}@evenements.test.fr"
    user = User(
        email=email,
        display_name=name,
        password_hash=hash_password(PASSWORD),
        role=Role.member,
        email_verified_at=utcnow(),
    )
    session.add(user)
    session.flush()
    session.add(Membership(user_id=user.id, organisation_id=org.id))
    session.commit()
    return Person(user_id=user.id, email=email, display_name=name)


def test_a_member_says_they_attend_and_sees_who_comes_from_a_comparable_territory(
    client: TestClient, people: People, session: Session
) -> None:
    event = _create(client, people)
    url = f"/evenements/{event['id']}"
    me = _person_of(session, "Ville de Paris", "Alex Paris")
    # a big city comes (comparable to Paris), and a communauté d'agglomération (not comparable)
    big_city = _person_of(session, "Ville de Paris", "Noé Grandeville")
    agglo = _person_of(session, "Communauté d'agglomération Paris-Saclay", "Inès Saclay")
    for other in (big_city, agglo):
        log_in(client, other)
        page = client.get(url).text
        client.post(f"{url}/participation", data={"csrf_token": csrf_from(page)})
        client.post("/deconnexion", data={"csrf_token": csrf_from(client.get(url).text)})
    log_in(client, me)
    page = client.get(url).text
    assert "2 participants inscrits" in page
    refused = client.post(f"{url}/participation", data={"csrf_token": "faux"}, follow_redirects=False)
    assert refused.status_code == 403
    done = client.post(f"{url}/participation", data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert done.status_code == 200 and "C'est noté : vous participez." in done.text
    assert "3 participants inscrits" in done.text and "Je participe — annuler" in done.text
    assert "Viennent aussi de territoires comparables" in done.text
    assert "Noé Grandeville — Ville de Paris" in done.text and "Inès Saclay" not in done.text
    undone = client.post(
        f"{url}/participation",
        data={"csrf_token": csrf_from(done.text), "action": "annuler"},
        follow_redirects=True,
    )
    assert "Votre participation est annulée." in undone.text and "2 participants inscrits" in undone.text


def test_anonymous_attendance_goes_to_login(client: TestClient, people: People) -> None:
    event = _create(client, people)
    assert "Connectez-vous</a> pour dire que vous participez" in client.get(f"/evenements/{event['id']}").text
    response = client.post(
        f"/evenements/{event['id']}/participation",
        data={"csrf_token": csrf_from(client.get("/connexion").text)},
        follow_redirects=False,
    )
    assert (
        response.status_code in (303, 401)
        and client.get(f"{API}/events/{event['id']}").json()["attendees"] == 0
    )


def test_lists_filter_and_the_seeded_2019_paris_step_is_in_the_past(
    client: TestClient, people: People
) -> None:
    webinar = _create(
        client,
        people,
        kind="webinar",
        territory_code=None,
        address="",
        online_url="https://visio.example.org/x",
    )
    upcoming = client.get("/evenements?sorte=webinar").text
    assert webinar["title"] in upcoming
    assert webinar["title"] not in client.get("/evenements?sorte=visit").text
    past = client.get("/evenements?quand=passes&region=11").text
    match = re.search(r'href="/evenements/(\d+)">IntercoTOUR 2019 : étape de Paris<', past)
    assert match, past
    assert "mercredi 26 juin 2019" in past
    paris = client.get(f"/evenements/{match.group(1)}").text
    for table in (
        "Les grands défis des 10 ans à venir",
        "Relations citoyen : du service à la participation",
        "Data : intelligence ou menace ?",
    ):
        assert f"Table ronde : {table}" in paris
    assert "Reconstitué pour la démonstration" in paris and "Les Interconnectés" in paris
    assert "Cet événement est terminé." in paris and "Je participe" not in paris
    assert 'href="/experiences/lify-air-capteurs-pollens"' in paris
    assert (
        client.get("/evenements/abc").status_code == 404
        and client.get("/evenements/999999").status_code == 404
    )
    case = client.get("/experiences/paris-monparis-lutece").text
    assert "Présenté lors de" in case and "IntercoTOUR 2019 : étape de Paris" in case
