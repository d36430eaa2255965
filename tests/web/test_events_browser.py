"""Events in a real browser: a member finds an upcoming event from the home page, says they attend and
downloads its .ics, which parses with the event's times; the event and contest pages pass axe-core (no
serious or critical violation) at 1280 and 390 px, with screenshots (build/screenshots/)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from icalendar import Calendar

from tests.support.browser import axe_violations, browser_log_in, new_page, screenshot
from tests.support.events import PARIS, event_payload
from tests.support.people import People


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
