"""Bad input in discussions: a clear 4xx in French, and not a single row written; the posting rate limit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from service.settings import Settings
from tests.service.discussions_kit import Kit, Member, first_post_id, new_post, new_thread
from tests.support.people import People

FRENCH_HINTS = ("message", "titre", "discussion", "caractères", "vide", "cité", "attendez", "requête")


@pytest.fixture
def kit(seeded_engine: Engine) -> Kit:
    return Kit(seeded_engine)


@pytest.fixture
def writer(kit: Kit, people: People) -> Member:
    return kit.member("Alix", org_id=people.org_id)


def _refused(kit: Kit, send: Any, status: int | tuple[int, ...]) -> dict[str, Any]:
    """Sends a request that must be refused with `status` and must leave every table as it was."""
    before = kit.counts()
    response = send()
    expected = status if isinstance(status, tuple) else (status,)
    assert response.status_code in expected, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    text = (problem["detail"] + " " + " ".join(e["message"] for e in problem.get("errors", []))).lower()
    assert any(word in text for word in FRENCH_HINTS), f"no clear French message: {problem}"
    assert kit.counts() == before, "a refused request wrote something"
    return problem


def _field_errors(problem: dict[str, Any]) -> dict[str, str]:
    return {e["field"]: e["message"] for e in problem.get("errors", [])}


def test_empty_and_whitespace_posts_are_refused(client: TestClient, kit: Kit, writer: Member) -> None:
    thread = new_thread(client, writer)
    url = f"/api/v1/threads/{thread['id']}/posts"
    for body in ("", "   \n\t  ", "\x00 \x00"):
        problem = _refused(
            kit, lambda b=body: client.post(url, json={"body": b}, headers=writer.headers), 422
        )
        assert "vide" in _field_errors(problem)["body"]
    # Same rule when opening a thread.
    problem = _refused(
        kit,
        lambda: client.post(
            "/api/v1/threads",
            json={"title": "Une vraie question", "body": "  ", "theme": "services-en-ligne"},
            headers=writer.headers,
        ),
        422,
    )
    assert "body" in _field_errors(problem)


def test_too_long_posts_are_refused(client: TestClient, kit: Kit, writer: Member, settings: Settings) -> None:
    thread = new_thread(client, writer)
    url = f"/api/v1/threads/{thread['id']}/posts"
    longest = "é" * settings.max_post_chars
    assert new_post(client, writer, thread["id"], longest)["body"] == longest, "the limit itself is fine"

    problem = _refused(
        kit, lambda: client.post(url, json={"body": longest + "é"}, headers=writer.headers), 422
    )
    assert "20000 caractères au plus" in _field_errors(problem)["body"]

    huge = "a" * 1_000_001  # 1 MB of text: stopped before it is even parsed, or by the schema
    _refused(kit, lambda: client.post(url, json={"body": huge}, headers=writer.headers), (413, 422))


def test_titles_too_short_are_refused(client: TestClient, kit: Kit, writer: Member) -> None:
    for title in ("", "abc", "  a   b  "):
        problem = _refused(
            kit,
            lambda t=title: client.post(
                "/api/v1/threads",
                json={"title": t, "body": "Une question sérieuse.", "theme": "services-en-ligne"},
                headers=writer.headers,
            ),
            422,
        )
        assert "5 caractères visibles" in _field_errors(problem)["title"]


def test_locked_and_hidden_threads_take_no_reply(
    client: TestClient, kit: Kit, writer: Member, people: People
) -> None:
    locked = new_thread(client, writer)
    kit.set_thread(locked["id"], is_locked=True)
    problem = _refused(
        kit,
        lambda: client.post(
            f"/api/v1/threads/{locked['id']}/posts", json={"body": "Encore une chose"}, headers=writer.headers
        ),
        409,
    )
    assert "close" in problem["detail"]

    hidden = new_thread(client, writer)
    kit.set_thread(hidden["id"], is_hidden=True)
    url = f"/api/v1/threads/{hidden['id']}/posts"
    problem = _refused(
        kit,
        lambda: client.post(url, json={"body": "Encore une chose"}, headers=writer.headers),
        404,
    )
    assert "Aucune discussion" in problem["detail"]  # hidden: as if it did not exist
    # Even a moderator, who can still read it, cannot post in it.
    problem = _refused(
        kit,
        lambda: client.post(url, json={"body": "Note de modération"}, headers=people.headers("moderator")),
        409,
    )
    assert "masquée" in problem["detail"]


def test_quoting_a_deleted_post_or_a_post_of_another_thread(
    client: TestClient, kit: Kit, writer: Member
) -> None:
    thread = new_thread(client, writer)
    other = new_thread(client, writer)
    url = f"/api/v1/threads/{thread['id']}/posts"
    gone = new_post(client, writer, thread["id"], "Je vais retirer ce message.")
    assert client.delete(f"/api/v1/posts/{gone['id']}", headers=writer.headers).status_code == 204

    problem = _refused(
        kit,
        lambda: client.post(url, json={"body": "Je cite", "reply_to_id": gone["id"]}, headers=writer.headers),
        409,
    )
    assert "supprimé" in problem["detail"]

    elsewhere = first_post_id(client, other["id"], writer)
    problem = _refused(
        kit,
        lambda: client.post(url, json={"body": "Je cite", "reply_to_id": elsewhere}, headers=writer.headers),
        422,
    )
    assert "reply_to_id" in _field_errors(problem)

    quoted = first_post_id(client, thread["id"], writer)
    ok = new_post(client, writer, thread["id"], "Je cite le premier message.", reply_to_id=quoted)
    assert ok["reply_to_id"] == quoted


def test_unknown_thread(client: TestClient, kit: Kit, writer: Member) -> None:
    missing = 2_000_000_000
    problem = _refused(
        kit,
        lambda: client.post(
            f"/api/v1/threads/{missing}/posts", json={"body": "Allô ?"}, headers=writer.headers
        ),
        404,
    )
    assert "discussion" in problem["detail"].lower()
    assert client.get(f"/api/v1/threads/{missing}/posts", headers=writer.headers).status_code == 404


@pytest.fixture
def three_posts_per_minute(app: FastAPI) -> Iterator[None]:
    settings: Settings = app.state.settings
    saved = settings.posts_per_minute
    settings.posts_per_minute = 3
    try:
        yield
    finally:
        settings.posts_per_minute = saved


def _not_near_a_window_edge() -> None:
    """The limit counts per clock minute: start far enough from the next minute that four quick posts
    fall in the same window (waits at most a few seconds, rarely)."""
    left = 60 - time.time() % 60
    if left < 8:
        time.sleep(left + 0.1)


def test_flooding_gets_429_and_writes_nothing(
    client: TestClient, kit: Kit, people: People, three_posts_per_minute: None
) -> None:
    flooder = kit.member("Dominique", org_id=people.org_id)
    _not_near_a_window_edge()
    thread = new_thread(client, flooder)  # post 1 of this minute
    new_post(client, flooder, thread["id"], "Deuxième message.")
    new_post(client, flooder, thread["id"], "Troisième message.")

    before = kit.counts()
    refused = client.post(
        f"/api/v1/threads/{thread['id']}/posts", json={"body": "Quatrième message."}, headers=flooder.headers
    )
    assert refused.status_code == 429, refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "attendez" in refused.json()["detail"]
    assert kit.counts() == before, "the refused post left a trace"
    # Opening a thread is posting too.
    again = client.post(
        "/api/v1/threads",
        json={"title": "Encore une question", "body": "Et ceci ?", "theme": "services-en-ligne"},
        headers=flooder.headers,
    )
    assert again.status_code == 429
    assert kit.counts() == before

    # The limit is per member: someone else still writes.
    other = kit.member("Eden", org_id=people.org_id)
    new_post(client, other, thread["id"], "Je ne suis pas limité.")
