"""Discussions are searchable: a public thread appears in /api/v1/search as its own result type and on
the search page; private, hidden or emptied threads leave the index (through the outbox)."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from service.app import create_app
from service.db.base import utcnow
from service.indexjobs.models import IndexJob, IndexKind, JobState
from service.settings import Settings
from tests.service.discussions_kit import Kit, new_post, new_thread
from tests.support.people import People


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


def test_a_thread_that_cannot_be_indexed_is_dead_lettered_after_the_retry_setting(
    settings: Settings, seeded_engine: Engine, kit: Kit, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Threads go through the same outbox as cases: RETEX_WORKER_MAX_ATTEMPTS applies to them."""
    app = create_app(settings.model_copy(update={"worker_max_attempts": 2}))
    with TestClient(app) as client:
        worker = app.state.outbox_worker
        worker.run_until_idle()
        writer = kit.member("Eli", org_id=people.org_id)

        def broken(_docs: object) -> int:
            raise RuntimeError("index refuses the thread")

        monkeypatch.setattr(app.state.search.thread_indexer, "index_documents", broken)
        thread = new_thread(client, writer, title=f"Refusé {uuid.uuid4().hex[:6]}")
        for _ in range(2):
            with app.state.session_factory() as session:  # skip the backoff wait
                session.execute(update(IndexJob).values(available_at=utcnow()))
                session.commit()
            worker.run_until_idle()
        with app.state.session_factory() as session:
            jobs = session.scalars(select(IndexJob).where(IndexJob.kind == IndexKind.thread)).all()
        assert jobs, "the thread was queued"
        assert {(j.entity_id, j.state, j.attempts, j.last_error) for j in jobs} == {
            (thread["id"], JobState.dead, 2, "RuntimeError: index refuses the thread")
        }
        threads = client.get("/readyz").json()["index"]["kinds"]["thread"]
        assert (threads["backlog"], threads["dead_jobs"]) == (0, len(jobs))
