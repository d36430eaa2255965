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
from service.indexjobs.models import IndexJob, IndexKind
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
