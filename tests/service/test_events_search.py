"""Events are searchable: an event appears in /api/v1/search as its own result type and on the search
page, through the one index outbox (a job of kind `event`, applied by the worker); an edited programme is
what the index knows next."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.indexjobs.models import IndexJob, IndexKind
from tests.support.events import event_payload
from tests.support.people import People

API = "/api/v1"


def _events(client: TestClient, q: str) -> list[dict]:
    response = client.get(f"{API}/search", params={"q": q})
    assert response.status_code == 200, response.text
    return response.json()["events"]


def test_an_event_is_found_through_the_outbox_and_follows_its_edits(
    client: TestClient, app: FastAPI, people: People, session: Session
) -> None:
    word = f"pollinisation{uuid.uuid4().hex[:6]}"
    sessions = [
        {"title": f"Capteurs de pollens et {word}", "kind": "talk", "themes": ["sante-environnement"]}
    ]
    payload = event_payload(people.org_id, sessions=sessions)
    created = client.post(f"{API}/events", json=payload, headers=people.headers("org_admin")).json()
    queued = session.scalars(
        select(IndexJob).where(IndexJob.kind == IndexKind.event, IndexJob.entity_id == created["id"])
    ).all()
    assert len(queued) == 1  # queued in the same transaction as the event
    app.state.outbox_worker.run_until_idle()
    # (the seeded Paris step also speaks of pollen sensors: the unique word singles the new event out)
    [found] = [
        e for e in _events(client, f"capteurs pollens {word}") if f"<mark>{word}</mark>" in e["snippet"]
    ]
    assert found["type"] == "event" and found["id"] == created["id"]
    assert found["url"] == f"/evenements/{created['id']}" and f"<mark>{word}</mark>" in found["snippet"]
    page = client.get("/recherche", params={"q": f"capteurs pollens {word}"}, headers={"HX-Request": "true"})
    assert "Événements sur ce sujet" in page.text and f"/evenements/{created['id']}" in page.text

    other = f"sobriete{uuid.uuid4().hex[:6]}"
    edited = {**payload, "sessions": [{"title": f"Données et {other}", "kind": "round_table"}]}
    url = f"{API}/events/{created['id']}"
    assert client.put(url, json=edited, headers=people.headers("org_admin")).status_code == 200
    app.state.outbox_worker.run_until_idle()
    assert [e["id"] for e in _events(client, other)] == [created["id"]]
    assert _events(client, word) == []
