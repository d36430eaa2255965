"""Discussions are searchable: a public thread appears in /api/v1/search as its own result type and on
the search page; private, hidden or emptied threads leave the index (through the outbox)."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import People
from tests.service.discussions_kit import Kit, new_post, new_thread


@pytest.fixture
def kit(seeded_engine: Engine) -> Kit:
    return Kit(seeded_engine)


def _discussions(client: TestClient, q: str) -> list[int]:
    response = client.get("/api/v1/search", params={"q": q})
    assert response.status_code == 200, response.text
    return [d["id"] for d in response.json()["discussions"]]


def test_threads_are_searchable_and_leave_the_index_when_hidden(
    client: TestClient, app: FastAPI, kit: Kit, people: People
) -> None:
    writer = kit.member("Sacha", org_id=people.org_id)
    word = f"zorglub{uuid.uuid4().hex[:6]}"
    thread = new_thread(client, writer, title=f"Capteurs de pollen {word}")
    app.state.outbox_worker.run_until_idle()
    found = client.get("/api/v1/search", params={"q": f"capteurs pollen {word}"}).json()["discussions"]
    assert [d["id"] for d in found] == [thread["id"]]
    assert found[0]["type"] == "thread" and found[0]["url"] == f"/discussions/{thread['id']}"
    assert f"<mark>{word}</mark>" in found[0]["snippet"]
    page = client.get("/recherche", params={"q": f"capteurs pollen {word}"}, headers={"HX-Request": "true"})
    assert "Discussions sur ce sujet" in page.text and f"/discussions/{thread['id']}" in page.text

    # A reply is searchable too (the index follows the thread's posts).
    other = f"quetzal{uuid.uuid4().hex[:6]}"
    new_post(client, writer, thread["id"], f"Nous utilisons aussi des {other}.")
    app.state.outbox_worker.run_until_idle()
    assert _discussions(client, other) == [thread["id"]]

    # Hidden by moderation: gone from the results once the worker ran.
    kit.set_thread(thread["id"], is_hidden=True)
    app.state.outbox_worker.run_until_idle()
    assert _discussions(client, word) == []


def test_private_conversations_are_never_indexed(
    client: TestClient, app: FastAPI, kit: Kit, people: People
) -> None:
    writer = kit.member("Noa", org_id=people.other_org_id)
    case = kit.published_case(org_id=people.org_id)
    word = f"privatissime{uuid.uuid4().hex[:6]}"
    response = client.post(
        f"/api/v1/case-studies/{case.id}/contact",
        json={"title": f"Question privée {word}", "body": f"Bonjour, {word} ?"},
        headers=writer.headers,
    )
    assert response.status_code == 201, response.text
    app.state.outbox_worker.run_until_idle()
    assert _discussions(client, word) == []
