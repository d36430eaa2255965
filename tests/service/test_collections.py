"""Collections: curated, ordered selections of experiences. Moderators and an organisation's admins curate
them; public ones are listed, unlisted ones open by their link; each has its page, Atom feed (feedparser) and
CSV export; the seeded « Sélection régionale Île-de-France 2019 » holds the experiences of the Paris step."""

from __future__ import annotations

import csv
import io
import uuid

import feedparser
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from seeds.collections import seed_collections
from service.casestudies.models import CaseStudy, PublicationState
from tests.support.people import People

API = "/api/v1"


def _published(session: Session, n: int) -> list[int]:
    stmt = select(CaseStudy.id).where(CaseStudy.publication_state == PublicationState.published)
    return list(session.scalars(stmt.order_by(CaseStudy.id).limit(n)))


def test_an_org_admin_curates_an_ordered_unlisted_selection(
    client: TestClient, people: People, session: Session
) -> None:
    first, second, third = _published(session, 3)
    body = {
        "title": f"Sélection test {uuid.uuid4().hex[:6]}",
        "introduction": "Pour **commencer**.<script>alert(1)</script>",
        "visibility": "unlisted",
        "organisation_id": people.org_id,
        "items": [{"case_study_id": third, "comment": "La plus parlante."}, {"case_study_id": first}],
    }
    assert client.post(f"{API}/collections", json=body, headers=people.headers("member")).status_code == 403
    response = client.post(f"{API}/collections", json=body, headers=people.headers("org_admin"))
    assert response.status_code == 201, response.text
    made = response.json()
    assert [i["case_study_id"] for i in made["items"]] == [third, first] and made["items"][0]["position"] == 1
    listed = [c["slug"] for c in client.get(f"{API}/collections", params={"limit": 100}).json()["items"]]
    assert made["slug"] not in listed  # unlisted: not in the list …
    page = client.get(f"/selections/{made['slug']}")  # … but its link works
    assert page.status_code == 200 and "non listée" in page.text and "<strong>commencer</strong>" in page.text
    assert "<script>alert(1)</script>" not in page.text and "La plus parlante." in page.text

    edited = {**body, "visibility": "public", "items": [{"case_study_id": second}, {"case_study_id": third}]}
    url = f"{API}/collections/{made['slug']}"
    assert client.put(url, json=edited, headers=people.headers("outsider")).status_code == 403
    again = client.put(url, json=edited, headers=people.headers("moderator")).json()
    assert [i["case_study_id"] for i in again["items"]] == [second, third]
    listed = [c["slug"] for c in client.get(f"{API}/collections", params={"limit": 100}).json()["items"]]
    assert made["slug"] in listed


def test_bad_selections_are_refused(client: TestClient, people: People, session: Session) -> None:
    [case] = _published(session, 1)
    base = {"title": "Doublon", "organisation_id": people.org_id}
    for items, field in (
        ([{"case_study_id": case}, {"case_study_id": case}], "items"),
        ([{"case_study_id": 2_000_000}], "items"),
    ):
        response = client.post(
            f"{API}/collections", json={**base, "items": items}, headers=people.headers("org_admin")
        )
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == field
    no_org = {"title": "Sans organisation", "items": []}
    assert (
        client.post(f"{API}/collections", json=no_org, headers=people.headers("org_admin")).status_code == 403
    )
    assert (
        client.post(f"{API}/collections", json=no_org, headers=people.headers("moderator")).status_code == 201
    )
    assert client.get(f"{API}/collections/inconnue").status_code == 404


def test_the_seeded_selection_with_its_feed_and_export(client: TestClient, session: Session) -> None:
    [seeded] = [
        c
        for c in client.get(f"{API}/collections", params={"limit": 100}).json()["items"]
        if c["title"] == "Sélection régionale Île-de-France 2019"
    ]
    full = client.get(f"{API}/collections/{seeded['slug']}").json()
    assert [i["slug"] for i in full["items"]][:3] == [
        "paris-monparis-lutece",
        "paris-datacentre-sobriete-donnees",
        "val-d-oise-centrale-achat-numerique",
    ]
    assert len(full["items"]) == 6 and "Reconstitué" in full["note"]
    feed = feedparser.parse(client.get(full["feed_url"]).content)
    assert not feed.bozo and [e.link.rsplit("/", 1)[1] for e in feed.entries] == [
        i["slug"] for i in full["items"]
    ]
    export = client.get(full["export_url"])
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [r["position"] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    assert rows[0]["titre"].startswith("Paris : près de 90 services") and rows[0]["licence"]
    html = client.get(f"/selections/{seeded['slug']}").text
    assert "Sélection régionale Île-de-France 2019" in html and "Exporter (CSV)" in html
    assert "Sélection régionale Île-de-France 2019" in client.get("/selections").text
    assert seed_collections(session).inserted == 0
    session.rollback()
