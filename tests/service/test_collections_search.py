"""Collections are found by meaning: a public collection appears in /api/v1/search as its own result type
and on the search page, through the one index outbox (a job of kind `collection`); an unlisted one is never
found, and a collection made unlisted leaves the index."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy, PublicationState
from service.indexjobs.models import IndexJob, IndexKind, JobState
from tests.support.events import event_payload
from tests.support.people import People

API = "/api/v1"


def _collections(client: TestClient, q: str) -> list[dict]:
    response = client.get(f"{API}/search", params={"q": q})
    assert response.status_code == 200, response.text
    found: list[dict] = response.json()["collections"]
    return found


def test_a_public_collection_is_found_and_an_unlisted_one_never(
    client: TestClient, app: FastAPI, people: People, session: Session
) -> None:
    [case] = session.scalars(
        select(CaseStudy.id).where(CaseStudy.publication_state == PublicationState.published).limit(1)
    )
    word = f"bocage{uuid.uuid4().hex[:6]}"
    hidden = f"marais{uuid.uuid4().hex[:6]}"
    admin = people.headers("org_admin")

    def make(title: str, introduction: str, visibility: str) -> dict:
        body = {
            "title": title,
            "introduction": introduction,
            "visibility": visibility,
            "organisation_id": people.org_id,
            "items": [{"case_study_id": case, "comment": "Choisie pour sa sobriété."}],
        }
        response = client.post(f"{API}/collections", json=body, headers=admin)
        assert response.status_code == 201, response.text
        made: dict = response.json()
        return {**made, "body": body}

    public = make("Sélection des communes du bocage", f"Projets ruraux du {word} normand.", "public")
    unlisted = make("Sélection privée", f"Projets du {hidden} poitevin.", "unlisted")
    queued = session.scalars(select(IndexJob.entity_id).where(IndexJob.kind == IndexKind.collection)).all()
    assert public["id"] in queued  # queued in the same transaction as the collection
    app.state.outbox_worker.run_until_idle()

    [found] = [c for c in _collections(client, f"projets ruraux {word}") if c["id"] == public["id"]]
    assert found["type"] == "collection" and found["url"] == f"/selections/{public['slug']}"
    assert f"<mark>{word}</mark>" in found["snippet"] and found["items"] == 1
    assert unlisted["id"] not in [c["id"] for c in _collections(client, f"{hidden} poitevin")]  # never found
    page = client.get("/recherche", params={"q": f"projets ruraux {word}"}, headers={"HX-Request": "true"})
    assert "Sélections sur ce sujet" in page.text and f"/selections/{public['slug']}" in page.text

    # Made unlisted: it leaves the index (the next search does not find it).
    url = f"{API}/collections/{public['slug']}"
    response = client.put(url, json={**public["body"], "visibility": "unlisted"}, headers=admin)
    assert response.status_code == 200, response.text
    app.state.outbox_worker.run_until_idle()
    assert public["id"] not in [c["id"] for c in _collections(client, f"projets ruraux {word}")]
    assert public["id"] not in app.state.search.collection_indexer.indexed_ids()
    assert unlisted["id"] not in app.state.search.collection_indexer.indexed_ids()


def test_renaming_or_withdrawing_a_case_reindexes_the_collections_and_events_showing_it(
    client: TestClient, app: FastAPI, people: People, session: Session
) -> None:
    """A collection's and an event's indexed text hold the titles of their cases: renaming a case queues
    them in the same transaction (the hooks' watchers), and the next search finds them by the new title."""
    case = session.scalars(
        select(CaseStudy)
        .where(CaseStudy.publication_state == PublicationState.published)
        .order_by(CaseStudy.id.desc())
        .limit(1)
    ).one()
    old_title = case.title
    admin = people.headers("org_admin")
    body = {
        "title": "Sélection du renommage",
        "introduction": "Des projets choisis pour la démonstration.",
        "visibility": "public",
        "organisation_id": people.org_id,
        "items": [{"case_study_id": case.id, "comment": ""}],
    }
    collection = client.post(f"{API}/collections", json=body, headers=admin).json()
    sessions = [{"title": "Présentations", "kind": "talk", "case_study_ids": [case.id]}]
    made = client.post(f"{API}/events", json=event_payload(people.org_id, sessions=sessions), headers=admin)
    assert made.status_code == 201, made.text
    event = made.json()
    app.state.outbox_worker.run_until_idle()
    word = f"zephyrine{uuid.uuid4().hex[:6]}"
    new_title = f"Téléservices {word} des communes"
    try:
        session.expire_all()
        session.get(CaseStudy, case.id).title = new_title  # type: ignore[union-attr]
        session.flush()
        jobs = session.execute(
            select(IndexJob.kind, IndexJob.entity_id).where(IndexJob.state == JobState.pending)
        ).all()
        assert (IndexKind.collection, collection["id"]) in jobs and (IndexKind.event, event["id"]) in jobs
        session.commit()
        app.state.outbox_worker.run_until_idle()
        assert collection["id"] in [c["id"] for c in _collections(client, f"téléservices {word}")]
        found = client.get(f"{API}/search", params={"q": f"téléservices {word}"}).json()["events"]
        assert event["id"] in [e["id"] for e in found]

        # Withdrawn: the collection is queued again (its text no longer holds the case).
        session.get(CaseStudy, case.id).publication_state = PublicationState.archived  # type: ignore[union-attr]
        session.flush()
        queued = session.scalars(
            select(IndexJob.entity_id).where(
                IndexJob.kind == IndexKind.collection, IndexJob.state == JobState.pending
            )
        ).all()
        assert collection["id"] in queued
        session.commit()
        app.state.outbox_worker.run_until_idle()
        assert collection["id"] not in [c["id"] for c in _collections(client, f"téléservices {word}")]
    finally:
        restored = session.get(CaseStudy, case.id)
        assert restored is not None
        restored.title, restored.publication_state = old_title, PublicationState.published
        session.commit()
        app.state.outbox_worker.run_until_idle()
