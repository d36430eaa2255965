"""Open data: JSON Lines and CSV exports of the published cases (with each case's licence), filtered like
search, and Atom feeds read back by a feed library."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import feedparser
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy, PublicationState
from service.themes.models import Theme

JSONL = "/api/v1/exports/case-studies.jsonl"
CSV = "/api/v1/exports/case-studies.csv"
FEEDS = "/api/v1/feeds"
BETAGOUV_ATTRIBUTION = "beta.gouv.fr / DINUM et contributeurs"


def published_count(session: Session, theme: str | None = None) -> int:
    stmt = select(func.count(CaseStudy.id)).where(CaseStudy.publication_state == PublicationState.published)
    if theme:
        stmt = stmt.where(CaseStudy.themes.any(Theme.slug == theme))
    return session.scalar(stmt) or 0


def jsonl_rows(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get(JSONL, params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


def test_jsonl_export_has_every_published_case_once_with_its_licence(
    client: TestClient, session: Session
) -> None:
    rows = jsonl_rows(client)
    assert len(rows) == published_count(session) > 600
    assert len({r["id"] for r in rows}) == len(rows)
    betagouv = [r for r in rows if r["attribution"] == BETAGOUV_ATTRIBUTION]
    written_here = [r for r in rows if r["attribution"] != BETAGOUV_ATTRIBUTION]
    assert betagouv and written_here
    assert {r["licence"] for r in betagouv} == {"cc-by-nc-sa-4.0"}
    assert {r["licence_name"] for r in betagouv} == {"CC BY-NC-SA 4.0"}
    assert all(r["licence_url"].startswith("https://creativecommons.org/") for r in betagouv)
    # Written here or imported from open sources: Licence Ouverte (Retex, ANCT), MIT (BAL testimonies).
    assert {r["licence"] for r in written_here} == {"etalab-2.0", "mit"}
    assert all(r["licence_url"] for r in rows)
    sources = {(r["source"], r["licence"]) for r in rows if r["source"] != "Retex"}
    assert len({source for source, _ in sources}) >= 3
    first = rows[0]
    assert first["url"].endswith(f"/experiences/{first['slug']}")
    assert first["published_at"].endswith("+00:00")  # ISO 8601 with its offset


def test_export_is_filtered_like_search(client: TestClient, session: Session) -> None:
    rows = jsonl_rows(client, theme="achats-mutualisation")
    assert len(rows) == published_count(session, "achats-mutualisation") > 0
    assert all("achats-mutualisation" in r["themes"] for r in rows)
    var = jsonl_rows(client, departement="83")
    assert var and all(any(t["code"] for t in r["territories"]) for r in var)
    assert len(var) < len(jsonl_rows(client))
    assert client.get(JSONL, params={"year": 1700}).status_code == 422


def test_csv_export_has_one_row_per_case_with_territories_themes_software(
    client: TestClient, session: Session
) -> None:
    response = client.get(CSV, params={"theme": "achats-mutualisation"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    records = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(records) == published_count(session, "achats-mutualisation")
    assert {"themes", "territory_codes", "territory_names", "software", "licence", "licence_url"} <= set(
        records[0]
    )
    by_id = {int(r["id"]): r for r in records}
    for row in jsonl_rows(client, theme="achats-mutualisation"):
        record = by_id[row["id"]]
        assert record["territory_codes"].split(" | ") == [t["code"] for t in row["territories"]] or (
            record["territory_codes"] == "" and row["territories"] == []
        )
        assert record["licence"] == row["licence"]
        assert record["title"] == row["title"]


def parsed(client: TestClient, url: str, **params: Any) -> Any:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    # Required by RFC 4287: feed id, title, updated, an author (feed or entries); entry id, title, updated.
    assert feed.feed.id and feed.feed.title and feed.feed.updated_parsed
    assert feed.feed.author_detail.name == "Retex"
    assert any(link.rel == "self" for link in feed.feed.links)
    for entry in feed.entries:
        assert entry.id.startswith("http") and entry.title and entry.updated_parsed
        assert entry.link.endswith(entry.id.rsplit("/", 1)[1])
        assert entry.rights  # the licence of the content
    return feed


def test_latest_feed_is_valid_atom_newest_first(client: TestClient) -> None:
    feed = parsed(client, f"{FEEDS}/case-studies.atom")
    assert len(feed.entries) == 50
    stamps = [e.updated_parsed for e in feed.entries]
    assert stamps == sorted(stamps, reverse=True)


def test_theme_feed_lists_that_theme_only(client: TestClient) -> None:
    feed = parsed(client, f"{FEEDS}/themes/achats-mutualisation.atom")
    assert feed.entries
    assert all("achats-mutualisation" in {t.term for t in e.tags} for e in feed.entries)
    missing = client.get(f"{FEEDS}/themes/pas-un-theme.atom")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_territory_feed_includes_similar_territories(client: TestClient, session: Session) -> None:
    feed = parsed(client, f"{FEEDS}/territories/83050.atom")  # Draguignan
    slugs = {e.link.rsplit("/", 1)[1] for e in feed.entries}
    assert slugs
    own = set(
        session.scalars(
            select(CaseStudy.slug).where(
                CaseStudy.publication_state == PublicationState.published,
                CaseStudy.territories.any(code="83050"),
            )
        )
    )
    assert slugs - own, "the feed must also bring cases of similar territories"
    assert "Draguignan" in feed.feed.title


def test_saved_search_feed(client: TestClient, app: FastAPI) -> None:
    app.state.outbox_worker.run_until_idle()
    feed = parsed(client, f"{FEEDS}/search.atom", q="portail citoyen open source", theme="logiciels-libres")
    assert "portail citoyen open source" in feed.feed.title
    assert feed.entries
    assert all("logiciels-libres" in {t.term for t in e.tags} for e in feed.entries)
    assert client.get(f"{FEEDS}/search.atom", params={"q": "   "}).status_code == 422


def test_feed_stays_valid_xml_when_a_case_holds_control_characters(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = client.post(
        "/api/v1/case-studies",
        headers=admin_headers,
        json={
            "title": "Alerte\x07 sonore\x1b",
            "summary": "Texte\x0b collé",
            "publication_state": "published",
        },
    )
    assert created.status_code == 201, created.text
    try:
        feed = parsed(client, f"{FEEDS}/case-studies.atom")
        assert "Alerte sonore" in [e.title for e in feed.entries]
    finally:
        client.delete(f"/api/v1/case-studies/{created.json()['id']}", headers=admin_headers)
