"""Atom feeds of a thread and of a theme's discussions: valid Atom (parsed by feedparser), public only."""

from __future__ import annotations

import uuid

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.service.discussions_kit import THEME, Kit, new_post, new_thread
from tests.support.people import People


@pytest.fixture
def kit(seeded_engine: Engine) -> Kit:
    return Kit(seeded_engine)


def _parse(client: TestClient, url: str) -> feedparser.FeedParserDict:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    for required in ("id", "title", "updated"):
        assert feed.feed.get(required), required
    for entry in feed.entries:
        for required in ("id", "title", "updated", "link"):
            assert entry.get(required), required
    return feed


def test_thread_and_theme_feeds(client: TestClient, kit: Kit, people: People) -> None:
    writer = kit.member("Lou", org_id=people.org_id)
    tag = uuid.uuid4().hex[:6]
    thread = new_thread(client, writer, title=f"Open data et RGPD {tag}")
    new_post(client, writer, thread["id"], f"Une réponse \x0b avec un caractère de contrôle {tag}.")
    feed = _parse(client, f"/api/v1/feeds/threads/{thread['id']}.atom")
    assert len(feed.entries) == 2 and tag in feed.entries[0].summary  # newest first
    theme_feed = _parse(client, f"/api/v1/feeds/themes/{THEME}/discussions.atom")
    assert any(e.link.endswith(f"/discussions/{thread['id']}") for e in theme_feed.entries)


def test_private_and_unknown_have_no_feed(client: TestClient, kit: Kit, people: People) -> None:
    writer = kit.member("Max", org_id=people.other_org_id)
    case = kit.published_case(org_id=people.org_id)
    private = client.post(
        f"/api/v1/case-studies/{case.id}/contact",
        json={"title": "Question privée", "body": "Bonjour"},
        headers=writer.headers,
    ).json()
    assert client.get(f"/api/v1/feeds/threads/{private['id']}.atom").status_code == 404
    assert client.get("/api/v1/feeds/themes/inconnu/discussions.atom").status_code == 404
