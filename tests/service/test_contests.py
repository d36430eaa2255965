"""Contests and labels on the seeded 2019 data: the two contests with their Île-de-France selection
(held at the seeded Paris event) and their national final; entries tied to the demo experiences; badges
on the experience's page and in the JSON API; each marked as reconstructed from a public account."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from seeds.contests import seed_contests
from seeds.events import seed_events
from service.casestudies.models import CaseStudy

API = "/api/v1"


def _case_id(session: Session, slug: str) -> int:
    found = session.scalar(select(CaseStudy.id).where(CaseStudy.slug == slug))
    assert found is not None, slug
    return found


def test_the_two_2019_contests_with_their_stages_and_entries(client: TestClient) -> None:
    page = client.get(f"{API}/contests").json()
    names = {c["name"]: c for c in page["items"]}
    assert {"Concours des startups Interconnectées", "Label Territoire innovant"} <= names.keys()
    startups = client.get(f"{API}/contests/{names['Concours des startups Interconnectées']['slug']}").json()
    assert startups["edition"] == "2019" and startups["organisation"]["name"] == "Les Interconnectés"
    regional, final = startups["stages"]
    assert (regional["level"], regional["region_code"]) == ("regional", "11") and regional["event_id"]
    event = client.get(f"{API}/events/{regional['event_id']}").json()
    assert event["title"] == "IntercoTOUR 2019 : étape de Paris"
    assert final["level"] == "national" and "Lyon, décembre 2019" in final["planned"]
    assert {e["case_study_slug"] for e in startups["entries"]} == {
        "lify-air-capteurs-pollens",
        "cmarue-commerces-souhaites-centre-ville",
    }
    assert all(e["result"] == "candidate" and e["stage_id"] == regional["id"] for e in startups["entries"])
    assert "Reconstitué" in startups["note"] and "pas les résultats de la finale" in startups["note"]
    assert client.get(f"{API}/contests/inconnu").status_code == 404


def test_an_experience_shows_its_distinctions(client: TestClient, session: Session) -> None:
    saclay = _case_id(session, "paris-saclay-donnees-temps-reel-attractivite")
    [label] = client.get(f"{API}/case-studies/{saclay}/distinctions").json()
    assert label["contest"] == "Label Territoire innovant" and label["category"] == "Territoires"
    assert label["label"] == "Candidat — Label Territoire innovant (Sélection régionale Île-de-France)"
    html = client.get("/experiences/paris-saclay-donnees-temps-reel-attractivite").text
    assert "Distinctions" in html and label["label"] in html
    assert "Présenté lors de" in html and "IntercoTOUR 2019 : étape de Paris" in html
    lutece = _case_id(session, "paris-monparis-lutece")
    assert client.get(f"{API}/case-studies/{lutece}/distinctions").json() == []
    assert client.get(f"{API}/case-studies/2000000/distinctions").status_code == 404


def test_contest_pages(client: TestClient) -> None:
    listing = client.get("/concours").text
    assert "Label Territoire innovant 2019" in listing
    slug = next(
        c["slug"] for c in client.get(f"{API}/contests").json()["items"] if c["name"].startswith("Label")
    )
    html = client.get(f"/concours/{slug}").text
    assert "Sélection régionale Île-de-France" in html and "Finale nationale" in html
    assert "Prévue : Forum national des Interconnectés, Lyon, décembre 2019" in html
    assert 'href="/experiences/paris-saclay-donnees-temps-reel-attractivite"' in html and "Candidat" in html
    assert "IntercoTOUR 2019 : étape de Paris" in html
    assert client.get("/concours/inconnu").status_code == 404


def test_event_and_contest_seeds_are_idempotent(session: Session) -> None:
    assert seed_events(session).inserted == 0 and seed_contests(session).inserted == 0
    session.rollback()
