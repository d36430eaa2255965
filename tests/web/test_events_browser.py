"""Events in a real browser: a member finds an upcoming event from the home page, says they attend and
downloads its .ics, which parses with the event's times; an organiser adds a session presenting an
experience found by its title; the event and contest pages and the event form with its programme pass
axe-core (no serious or critical violation) at 1280 and 390 px, with screenshots (build/screenshots/, and
for the docs docs/screenshots/evenement.png, concours.png, evenement-programme-edition.png)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from icalendar import Calendar

from tests.support.browser import axe_violations, browser_log_in, docs_screenshot, new_page, screenshot
from tests.support.events import PARIS, event_payload
from tests.support.people import People

DOCS_SHOTS = {
    "evenement-intercotour-paris-2019": "evenement",
    "concours-label-territoire-innovant-2019": "concours",
}
PRESENTED = "monparis"  # a word of the title of a seeded experience (paris-monparis-lutece)


def _soonest_event(client: httpx.Client, people: People) -> dict[str, Any]:
    """An event starting within the hour: the first of the home page's upcoming events."""
    start = (datetime.now(UTC) + timedelta(minutes=50)).astimezone(PARIS).replace(second=0, microsecond=0)
    payload = event_payload(
        people.org_id, starts_at=start.isoformat(), ends_at=(start + timedelta(hours=3)).isoformat()
    )
    response = client.post("/api/v1/events", json=payload, headers=people.headers("org_admin"))
    assert response.status_code == 201, response.text
    return response.json()


def test_a_member_finds_an_event_attends_and_adds_it_to_their_calendar(
    browser: Any, live_server: str, people: People
) -> None:
    client = httpx.Client(base_url=live_server)  # the live server holds the index: no second app
    event = _soonest_event(client, people)
    page = new_page(browser, live_server, accept_downloads=True)
    try:
        browser_log_in(page, people.member, next_path="/")
        page.get_by_role("region", name="Prochains événements").get_by_role(
            "link", name=event["title"]
        ).click()
        page.wait_for_url(f"**/evenements/{event['id']}")
        page.get_by_role("button", name="Je participe").click()
        page.wait_for_url(re.compile(r".*participation=oui.*"))
        assert page.get_by_text("C'est noté : vous participez.").is_visible()
        assert page.get_by_role("button", name="Je participe — annuler").is_visible()
        with page.expect_download() as info:
            page.get_by_role("link", name="Ajouter à mon agenda (.ics)").click()
        calendar = Calendar.from_ical(info.value.path().read_bytes())
        [vevent] = calendar.walk("VEVENT")
        assert str(vevent["summary"]) == event["title"]
        assert vevent.decoded("dtstart") == datetime.fromisoformat(event["starts_at"])
        assert vevent.decoded("dtend") == datetime.fromisoformat(event["ends_at"])
        assert str(vevent.decoded("dtstart").tzinfo) == "Europe/Paris"
        assert page.js_errors == []
    finally:
        page.context.close()
    attendees = client.get(f"/api/v1/events/{event['id']}").json()["attendees"]
    assert attendees == 1


def test_event_and_contest_pages_are_accessible_at_desktop_and_mobile_widths(
    browser: Any, live_server: str, people: People
) -> None:
    client = httpx.Client(base_url=live_server)  # the live server holds the index: no second app
    event = _soonest_event(client, people)
    past = client.get("/evenements?quand=passes&region=11").text
    match = re.search(r'href="/evenements/(\d+)">IntercoTOUR 2019', past)
    assert match
    contest = next(
        c["slug"]
        for c in client.get("/api/v1/contests").json()["items"]
        if c["name"] == "Label Territoire innovant"
    )
    pages = [
        ("evenements", "/evenements"),
        ("evenements-passes", "/evenements?quand=passes"),
        ("evenement", f"/evenements/{event['id']}"),
        ("evenement-intercotour-paris-2019", f"/evenements/{match.group(1)}"),
        ("concours", "/concours"),
        ("concours-label-territoire-innovant-2019", f"/concours/{contest}"),
        ("experience-distinction", "/experiences/paris-saclay-donnees-temps-reel-attractivite"),
    ]
    for label, viewport in (
        ("bureau", {"width": 1280, "height": 900}),
        ("mobile", {"width": 390, "height": 844}),
    ):
        page = new_page(browser, live_server, viewport=viewport, bypass_csp=True)  # axe is injected inline
        try:
            browser_log_in(page, people.member, next_path="/")
            for name, path in pages:
                page.goto(path)
                page.wait_for_load_state("networkidle")
                screenshot(page, f"{name}-{label}")
                if label == "bureau" and name in DOCS_SHOTS:
                    docs_screenshot(page, DOCS_SHOTS[name])
                violations = axe_violations(page)
                assert violations == [], f"{path} ({label}): {violations}"
        finally:
            page.context.close()


def test_an_organiser_publishes_an_event_from_the_form_and_its_pages_are_accessible(
    browser: Any, live_server: str, people: People
) -> None:
    """The publish form (empty, then with its errors) and the edit form pass axe-core at both widths; the
    organiser fixes the errors and lands on the event's page."""
    client = httpx.Client(base_url=live_server)
    event = _soonest_event(client, people)
    for label, viewport in (
        ("bureau", {"width": 1280, "height": 900}),
        ("mobile", {"width": 390, "height": 844}),
    ):
        page = new_page(browser, live_server, viewport=viewport, bypass_csp=True)  # axe is injected inline
        try:
            browser_log_in(page, people.org_admin, next_path="/evenements")
            page.get_by_role("link", name="Publier un événement").click()
            page.wait_for_url("**/evenements/nouveau")
            assert axe_violations(page) == [], f"/evenements/nouveau ({label})"
            page.get_by_role("button", name="Publier l'événement").click()  # nothing filled in
            page.wait_for_load_state("networkidle")
            assert (
                page.get_by_role("alert").is_visible()
                and "Titre : Ce champ est obligatoire." in page.content()
            )
            assert axe_violations(page) == [], f"/evenements/nouveau with errors ({label})"
            screenshot(page, f"evenement-formulaire-erreurs-{label}")
            page.get_by_label("Titre").fill(f"Webinaire du formulaire ({label})")
            page.get_by_label("Date de début").fill("2031-05-20")
            page.get_by_label("Date de fin").fill("2031-05-20")
            page.get_by_label("Lien en ligne").fill("https://visio.example.org/formulaire")
            page.get_by_role("button", name="Publier l'événement").click()
            page.wait_for_url(re.compile(r".*/evenements/\d+\?enregistre=oui"))
            assert page.get_by_text("L'événement est enregistré.").is_visible()
            page.goto(f"/evenements/{event['id']}/modifier")
            page.wait_for_load_state("networkidle")
            assert axe_violations(page) == [], f"/evenements/{event['id']}/modifier ({label})"
            assert page.js_errors == []
        finally:
            page.context.close()


def test_an_organiser_adds_a_session_presenting_an_experience_and_saves(
    browser: Any, live_server: str, people: People
) -> None:
    """On the edit form: « Ajouter une session », its title and hours, a speaker, an experience found as
    one types its title (HTMX) and ticked; saved, the event's page shows the session and the experience.
    The form with its programme passes axe-core at both widths."""
    client = httpx.Client(base_url=live_server)
    for label, viewport in (
        ("bureau", {"width": 1280, "height": 900}),
        ("mobile", {"width": 390, "height": 844}),
    ):
        event = _soonest_event(client, people)
        begins = datetime.fromisoformat(event["starts_at"]).astimezone(PARIS) + timedelta(minutes=30)
        ends = begins + timedelta(minutes=90)
        page = new_page(browser, live_server, viewport=viewport, bypass_csp=True)  # axe is injected inline
        try:
            browser_log_in(page, people.org_admin, next_path=f"/evenements/{event['id']}")
            page.get_by_role("link", name="Modifier l'événement et son programme").click()
            page.wait_for_url(f"**/evenements/{event['id']}/modifier")
            page.get_by_role("button", name="Ajouter une session").click()
            page.wait_for_load_state("networkidle")
            new = page.get_by_role("group", name=re.compile(r"^Session 2"))
            title = f"Retours d'expérience ({label})"
            new.get_by_label("Titre de la session").fill(title)
            new.get_by_label("Sorte de session").select_option(label="Intervention")
            new.get_by_label("Début").fill(begins.strftime("%Y-%m-%dT%H:%M"))
            new.get_by_label("Fin").fill(ends.strftime("%Y-%m-%dT%H:%M"))
            new.get_by_role("button", name="Ajouter un intervenant").click()
            page.wait_for_load_state("networkidle")
            new = page.get_by_role("group", name=re.compile(r"^Session 2"))
            new.get_by_label("Nom", exact=True).fill("Camille Durand")
            new.get_by_label("Organisation", exact=True).fill("Ville de Paris")
            new.get_by_label("Ajouter une expérience publiée, par son titre").press_sequentially(PRESENTED)
            found = new.get_by_role("checkbox", name=re.compile(PRESENTED))
            found.check()  # shown by the search as one types (HTMX), no page load
            assert page.get_by_role("button", name="Enregistrer les modifications").count() == 1
            assert axe_violations(page) == [], (
                f"/evenements/{event['id']}/modifier with a programme ({label})"
            )
            screenshot(page, f"evenement-programme-edition-{label}")
            page.get_by_role("button", name="Enregistrer les modifications").click()
            page.wait_for_url(re.compile(r".*/evenements/\d+\?enregistre=oui"))
            session = page.get_by_role("region", name=f"Intervention : {title}")
            assert f"{begins.hour} h" in session.inner_text() and f"{ends.hour} h" in session.inner_text()
            assert "Camille Durand (Ville de Paris)" in session.inner_text()
            session.get_by_role("link", name=re.compile(PRESENTED)).click()
            page.wait_for_url("**/experiences/paris-monparis-lutece")
            assert page.get_by_role("link", name=event["title"]).count() >= 1  # « Présenté lors de »
            assert page.js_errors == []
        finally:
            page.context.close()
        sessions = client.get(f"/api/v1/events/{event['id']}").json()["sessions"]
        assert [s["title"] for s in sessions] == [event["sessions"][0]["title"], title]
        assert sessions[1]["case_studies"][0]["slug"] == "paris-monparis-lutece"


def test_the_programme_editor_of_the_paris_meeting_for_the_docs(
    browser: Any, live_server: str, people: People
) -> None:
    """A moderator opens the seeded Paris 2019 meeting's form: its four sessions, their themes, the
    experiences presented; a title search in the first session (HTMX) shows what it finds. Screenshot of
    the first two sessions for the docs (docs/screenshots/evenement-programme-edition.png)."""
    client = httpx.Client(base_url=live_server)
    past = client.get("/evenements?quand=passes&region=11").text
    match = re.search(r'href="/evenements/(\d+)">IntercoTOUR 2019', past)
    assert match
    page = new_page(browser, live_server, viewport={"width": 1280, "height": 900})
    try:
        browser_log_in(page, people.moderator, next_path=f"/evenements/{match.group(1)}/modifier")
        sessions = page.locator("fieldset.programme-session")
        assert sessions.count() == 4
        first = page.get_by_role("group", name=re.compile(r"^Session 1"))
        assert first.get_by_label("Début").input_value() == "2019-06-26T09:30"
        assert "Achats publics et mutualisation" in first.locator("summary").inner_text()
        assert first.get_by_role("checkbox", name=re.compile("Val-d'Oise")).is_checked()
        first.get_by_label("Ajouter une expérience publiée, par son titre").press_sequentially("communes")
        first.locator(".case-found").wait_for()
        docs_screenshot(page, "evenement-programme-edition", band=("#programme", "#seance-1"))
        assert page.js_errors == []
    finally:
        page.context.close()
