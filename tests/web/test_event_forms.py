"""Organisers publish and edit an event from the site: /evenements/nouveau and /evenements/{id}/modifier,
with CSRF, every error told in French next to its field in one round (422, nothing written), the same
permission checks as the API (the organisation's admins and the moderators), the programme kept on edit."""

from __future__ import annotations

import uuid
from typing import Any

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


def _post(client: TestClient, url: str, data: dict[str, Any]) -> Any:
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
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    event = session.scalar(select(Event).where(Event.title == title))
    assert event is not None and location == f"/evenements/{event.id}?enregistre=oui"
    page = client.get(location).text
    assert "L'événement est enregistré." in page and "14 h" in page and "(heure de Paris)" in page
    assert f'href="/evenements/{event.id}/modifier"' in page
    # 14:00 in Paris in March (UTC+1) is 13:00 UTC.
    assert event.starts_at.replace(tzinfo=None).isoformat().startswith("2031-03-12T13:00")

    # An event with a programme (made by the API): the edit form shows its sessions; sent back with a
    # new header, the programme is kept (the form is the whole event, as the API's PUT).
    made = client.post(
        "/api/v1/events", json=event_payload(people.org_id), headers=people.headers("org_admin")
    ).json()
    url = f"/evenements/{made['id']}/modifier"
    form_page = client.get(url).text
    assert made["title"] in form_page and 'value="Europe/Paris"' in form_page
    assert 'value="Data : intelligence ou menace ?"' in form_page and 'value="Camille Martin"' in form_page
    edited = _form(people, "Titre changé " + uuid.uuid4().hex[:6], timezone="America/Cayenne")
    programme = {
        "s0-title": "Data : intelligence ou menace ?",
        "s0-kind": "round_table",
        "s0-themes": "open-data",
        "s0-p0-name": "Camille Martin",
        "s0-p0-organisation": "Ville de Paris",
    }
    assert _post(client, url, {**edited, **programme}).status_code == 303
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
    assert response.status_code == 422
    html = response.text
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
    assert response.status_code == 422
    assert "Date de fin : La fin précède le début." in response.text
    no_place = _form(people, "Sans lieu", online_url="")
    response = _post(client, NEW, no_place)
    assert response.status_code == 422
    assert "Indiquez un lieu : territoire, adresse ou lien en ligne." in response.text
    unknown = _form(people, "Lieu inconnu", online_url="", territory_code="99999")
    response = _post(client, NEW, unknown)
    assert response.status_code == 422 and "Territoire du lieu" in response.text
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


PAIRED_CASE = "paris-monparis-lutece"  # a seeded published experience


def _programme(people: People, title: str, case_id: int, handle: str) -> dict[str, Any]:
    """Two sessions: a round table with a speaker from the network and one typed in, presenting a case;
    an audition without speakers. Times in Paris (UTC+1 in March)."""
    return {
        **_form(people, title, address="Hôtel de Ville, Paris", online_url="", end_time="17:30"),
        "start_time": "09:00",
        "s0-title": "Relations citoyen : du service à la participation",
        "s0-kind": "round_table",
        "s0-start": "2031-03-12T09:30",
        "s0-end": "2031-03-12T11:00",
        "s0-description": "Les services en ligne de la ville.",
        "s0-themes": ["services-en-ligne", "participation-citoyenne"],
        "s0-p0-name": "",
        "s0-p0-organisation": "Ville de Paris",
        "s0-p0-account": "@" + handle,
        "s0-p1-name": "Camille Martin",
        "s0-p1-organisation": "Les Interconnectés",
        "s0-p1-account": "",
        "s0-cases": [str(case_id)],
        "s0-case-q": "",
        "s1-title": "Auditions des projets",
        "s1-kind": "audition",
        "s1-start": "2031-03-12T14:00",
        "s1-end": "",
        "s1-description": "",
        "s1-case-q": "",
    }


def test_an_organiser_writes_the_programme_in_the_form_and_readers_see_it(
    client: TestClient, people: People, session: Session
) -> None:
    from service.accounts.models import User
    from service.casestudies.models import CaseStudy

    case = session.scalar(select(CaseStudy).where(CaseStudy.slug == PAIRED_CASE))
    speaker = session.get(User, people.member.user_id)
    assert case is not None and speaker is not None and speaker.handle
    log_in(client, people.org_admin)
    # The buttons of the programme post the form back, changed and unsaved (no JavaScript needed).
    title = f"Rencontre du programme {uuid.uuid4().hex[:6]}"
    added = _post(client, NEW, {**_form(people, title), "programme": "add-session"})
    assert added.status_code == 200 and 'name="s0-title"' in added.text
    assert 'name="s0-p0-name"' not in added.text
    with_speaker = _post(
        client, NEW, {**_form(people, title), "s0-title": "Table", "programme": "add-speaker-0"}
    )
    assert 'name="s0-p0-name"' in with_speaker.text
    # Searching a title finds the published experience (with and without JavaScript).
    found = _post(
        client,
        NEW,
        {**_form(people, title), "s0-title": "Table", "s0-case-q": "monparis", "programme": "search-0"},
    )
    assert case.title in found.text and f'value="{case.id}"' in found.text
    partial = client.get("/evenements/experiences-a-presenter", params={"seance": "1", "s1-case-q": "Lutèce"})
    assert partial.status_code == 200 and 'name="s1-cases"' in partial.text and case.title in partial.text
    assert session.scalar(select(func.count(Event.id)).where(Event.title == title)) == 0

    response = _post(client, NEW, _programme(people, title, case.id, speaker.handle))
    assert response.status_code == 303, response.text
    event = session.scalar(select(Event).where(Event.title == title))
    assert event is not None
    made = client.get(f"/api/v1/events/{event.id}").json()
    first, second = made["sessions"]
    assert [first["title"], second["title"]] == [
        "Relations citoyen : du service à la participation",
        "Auditions des projets",
    ]
    assert first["starts_at"].startswith("2031-03-12T08:30") and first["ends_at"].startswith(
        "2031-03-12T10:00"
    )
    assert second["kind"] == "audition" and second["ends_at"] is None
    assert first["speakers"] == [
        {"user_id": speaker.id, "name": speaker.display_name, "organisation": "Ville de Paris"},
        {"user_id": None, "name": "Camille Martin", "organisation": "Les Interconnectés"},
    ]
    assert [c["id"] for c in first["case_studies"]] == [case.id]
    assert {t["slug"] for t in first["themes"]} == {"services-en-ligne", "participation-citoyenne"}

    page = client.get(f"/evenements/{event.id}").text
    assert "Table ronde : Relations citoyen" in page and "9 h 30 – 11 h" in page
    assert "Camille Martin (Les Interconnectés)" in page and f'href="/experiences/{case.slug}"' in page
    case_page = client.get(f"/experiences/{case.slug}").text
    assert "Présenté lors de" in case_page and f'href="/evenements/{event.id}"' in case_page

    # The edit form shows the programme as saved; moving the second session up and saving reorders it.
    url = f"/evenements/{event.id}/modifier"
    form_page = client.get(url).text
    assert 'value="2031-03-12T09:30"' in form_page and f'value="{speaker.handle}"' in form_page
    assert f'id="f-s0-cases-{case.id}"' in form_page and case.title in form_page
    moved = _post(client, url, {**_programme(people, title, case.id, speaker.handle), "programme": "up-1"})
    assert moved.text.index('value="Auditions des projets"') < moved.text.index('value="Relations citoyen')
    swapped = _programme(people, title, case.id, speaker.handle)
    for key in [k for k in swapped if k.startswith("s0-") or k.startswith("s1-")]:
        del swapped[key]
    swapped |= {
        "s0-title": "Auditions des projets",
        "s0-kind": "audition",
        "s1-title": "Seconde",
        "s1-kind": "talk",
    }
    assert _post(client, url, swapped).status_code == 303
    after = client.get(f"/api/v1/events/{event.id}").json()["sessions"]
    assert [s["title"] for s in after] == ["Auditions des projets", "Seconde"] and after[0][
        "case_studies"
    ] == []


def count(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(Event.id))) or 0


def test_an_invalid_session_is_told_next_to_its_field_and_nothing_is_saved(
    client: TestClient, people: People, session: Session
) -> None:
    log_in(client, people.org_admin)
    made = client.post(
        "/api/v1/events", json=event_payload(people.org_id), headers=people.headers("org_admin")
    ).json()
    url = f"/evenements/{made['id']}/modifier"
    title = f"Programme refusé {uuid.uuid4().hex[:6]}"
    base = {**_form(people, title), "s0-title": "Bonne session", "s0-kind": "talk", "s0-case-q": ""}
    cases = [
        ({"s1-title": "Trop tard", "s1-start": "2031-03-12T15:00", "s1-end": "2031-03-12T14:00"},
         "s1-end", "La fin de la session précède son début."),
        ({"s1-title": "Hors de l'événement", "s1-start": "2031-03-13T09:00"},
         "s1-start", "L&#39;heure est en dehors des dates de l&#39;événement."),
        ({"s1-title": "Inconnue", "s1-cases": "2000000"},
         "s1-cases", "Expérience(s) publiée(s) introuvable(s) : 2000000."),
        ({"s1-title": "   "}, "s1-title", "Ce champ est obligatoire."),
        ({"s1-title": "Intervenant inconnu", "s1-p0-name": "", "s1-p0-account": "@personne-inconnue-x"},
         "s1-p0-account", "Aucun compte actif n&#39;a l&#39;identifiant « @personne-inconnue-x »."),
        ({"s1-title": "Mauvaise heure", "s1-start": "12/03/2031 9h"},
         "s1-start", "Date et heure invalides"),
    ]  # fmt: skip
    for extra, field, message in cases:
        before = client.get(f"/api/v1/events/{made['id']}").json()
        response = _post(client, url, {**base, "s1-kind": "talk", "s1-case-q": "", **extra})
        assert response.status_code == 422, (extra, response.status_code)
        html = response.text
        assert f'id="f-{field}-error"' in html and message in html, (field, message)
        assert f'aria-describedby="f-{field}' in html and 'href="#f-' + field + '"' in html
        assert 'value="Bonne session"' in html  # the programme kept as typed
        assert client.get(f"/api/v1/events/{made['id']}").json() == before  # nothing written
    # Tampered fields (a kind, a theme or a case id no form offers): refused in French, never a 500.
    for extra in ({"s1-kind": "fete"}, {"s1-themes": "inconnu"}, {"s1-cases": "0"}, {"programme": "up-99"}):
        response = _post(client, url, {**base, "s1-title": "Trafiquée", "s1-case-q": "", **extra})
        assert response.status_code in (200, 422), (extra, response.status_code)
        assert "programme" in extra or "error-summary" in response.text
    assert session.scalar(select(func.count(Event.id)).where(Event.title == title)) == 0


def test_strangers_to_the_organisation_may_neither_edit_a_programme_nor_search_for_it(
    client: TestClient, people: People
) -> None:
    made = client.post(
        "/api/v1/events", json=event_payload(people.org_id), headers=people.headers("org_admin")
    ).json()
    url = f"/evenements/{made['id']}/modifier"
    picker = "/evenements/experiences-a-presenter"
    anonymous = client.get(picker, params={"s0-case-q": "paris"}, follow_redirects=False)
    assert anonymous.headers["location"].startswith("/connexion")
    for person in (people.member, people.outsider):
        log_in(client, person)
        token = csrf_from(client.get(f"/evenements/{made['id']}").text)
        data = {**_form(people, "Intrus"), "s0-title": "Prise", "csrf_token": token}
        assert client.post(url, data=data).status_code == 403
        assert client.post(url, data={**data, "programme": "add-session"}).status_code == 403
    log_in(client, people.member)
    assert client.get(picker, params={"s0-case-q": "paris"}).status_code == 403
    after = client.get(f"/api/v1/events/{made['id']}").json()
    assert [s["title"] for s in after["sessions"]] == [s["title"] for s in made["sessions"]]
