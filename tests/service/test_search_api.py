"""Search through the API with the deterministic test embedder (the real model has its own tests):
the outbox keeps the index in step with the database, filters and facets, similar and duplicates."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy, PublicationState
from service.indexjobs.models import IndexJob

SEARCH = "/api/v1/search"
CASES = "/api/v1/case-studies"


def drain(app: FastAPI) -> int:
    handled: int = app.state.outbox_worker.run_until_idle()
    return handled


@pytest.fixture
def indexed(client: TestClient, app: FastAPI) -> Iterator[TestClient]:
    drain(app)
    yield client


def _indexed_case_ids(app: FastAPI) -> Counter[int]:
    index = app.state.search.index
    return Counter(
        int(p["case_id"]) for _, p in index.scroll_payloads(["case_id", "passage"]) if p["passage"] == 0
    )


def test_every_published_case_is_indexed_exactly_once(
    indexed: TestClient, app: FastAPI, session: Session
) -> None:
    published = set(
        session.scalars(select(CaseStudy.id).where(CaseStudy.publication_state == PublicationState.published))
    )
    counts = _indexed_case_ids(app)
    assert set(counts) == published
    assert max(counts.values()) == 1


def test_search_answers_items_facets_and_snippets(indexed: TestClient) -> None:
    body = indexed.get(SEARCH, params={"q": "Lutèce portail citoyen Paris", "mode": "lexical"}).json()
    assert body["total"] > 0 and body["items"]
    first = body["items"][0]
    assert "Lutèce" in first["case"]["title"] or "Lutèce" in first["snippet"]
    assert "<mark>" in "".join(i["snippet"] for i in body["items"])
    assert {"theme", "status", "departement", "population_band", "year"} <= set(body["facets"])
    theme_counts = {f["value"]: f["count"] for f in body["facets"]["theme"]}
    assert sum(theme_counts.values()) >= 1


def test_filters_restrict_results(indexed: TestClient) -> None:
    body = indexed.get(SEARCH, params={"q": "données ouvertes", "theme": "open-data", "page_size": 50}).json()
    assert body["items"]
    assert all(any(t["slug"] == "open-data" for t in i["case"]["themes"]) for i in body["items"])
    assert next(f["value"] for f in body["facets"]["theme"]) == "open-data"
    var = indexed.get(SEARCH, params={"q": "commune", "departement": "83", "page_size": 50}).json()
    assert var["items"]

    def in_var(code: str) -> bool:  # a commune, the département, or an EPCI / syndicat of the Var
        return indexed.get(f"/api/v1/territories/{code}").json().get("departement_code") == "83"

    for item in var["items"]:
        assert any(in_var(t["code"]) for t in item["case"]["territories"]), item["case"]["territories"]


def test_pagination_does_not_repeat_cases(indexed: TestClient) -> None:
    one = indexed.get(SEARCH, params={"q": "emploi", "page_size": 5}).json()
    two = indexed.get(SEARCH, params={"q": "emploi", "page_size": 5, "page": 2}).json()
    assert one["next"] is not None
    assert not {i["case"]["id"] for i in one["items"]} & {i["case"]["id"] for i in two["items"]}


@pytest.mark.parametrize(("q", "status"), [("", 422), ("   ", 422), ("x" * 301, 422)])
def test_empty_or_long_query_is_refused(indexed: TestClient, q: str, status: int) -> None:
    response = indexed.get(SEARCH, params={"q": q})
    assert response.status_code == status
    assert response.json()["errors"][0]["field"] == "q"


def test_missing_query_and_bad_mode_are_refused(indexed: TestClient) -> None:
    assert indexed.get(SEARCH).status_code == 422
    assert indexed.get(SEARCH, params={"q": "x", "mode": "magic"}).json()["errors"][0]["field"] == "mode"


def _create(client: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    word = uuid.uuid4().hex[:10]
    body = {
        "title": f"Expérience témoin {word}",
        "summary": f"Un résumé qui contient le mot unique {word}.",
        "themes": ["open-data"],
        "publication_state": "published",
        **fields,
    }
    response = client.post(CASES, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    created["word"] = word
    return created


def _found(client: TestClient, word: str) -> list[int]:
    items = client.get(SEARCH, params={"q": word, "mode": "lexical"}).json()["items"]
    return [i["case"]["id"] for i in items]


def test_create_update_delete_reach_the_index_through_the_outbox(
    indexed: TestClient, app: FastAPI, admin_headers: dict[str, str], session: Session
) -> None:
    case = _create(indexed, admin_headers)
    jobs = session.scalar(
        select(func.count(IndexJob.id)).where(IndexJob.entity_id == case["id"], IndexJob.kind == "case")
    )
    assert jobs == 1, "the job is written in the same transaction as the case"
    assert _found(indexed, case["word"]) == [], "not searchable before the worker ran"
    drain(app)
    assert _found(indexed, case["word"]) == [case["id"]]

    archived = indexed.patch(
        f"{CASES}/{case['id']}", json={"publication_state": "archived"}, headers=admin_headers
    )
    assert archived.status_code == 200
    drain(app)
    assert _found(indexed, case["word"]) == [], "an archived case is never searchable"

    restored = indexed.patch(
        f"{CASES}/{case['id']}", json={"publication_state": "published"}, headers=admin_headers
    )
    assert restored.status_code == 200
    drain(app)
    assert _found(indexed, case["word"]) == [case["id"]]
    indexed.delete(f"{CASES}/{case['id']}", headers=admin_headers)
    drain(app)
    assert _found(indexed, case["word"]) == []
    assert _indexed_case_ids(app)[case["id"]] == 0


def test_refused_write_leaves_no_job(
    indexed: TestClient, admin_headers: dict[str, str], session: Session
) -> None:
    before = session.scalar(select(func.count(IndexJob.id)))
    response = indexed.post(
        CASES, json={"title": "T", "summary": "S", "themes": ["nope"]}, headers=admin_headers
    )
    assert response.status_code == 422
    session.expire_all()
    assert session.scalar(select(func.count(IndexJob.id))) == before


def test_similar_excludes_the_case_and_its_near_copies(
    indexed: TestClient, app: FastAPI, admin_headers: dict[str, str]
) -> None:
    original = _create(indexed, admin_headers)
    copy = indexed.post(
        CASES,
        json={"title": original["title"], "summary": original["summary"], "publication_state": "published"},
        headers=admin_headers,
    ).json()
    drain(app)
    similar = indexed.get(f"{CASES}/{original['id']}/similar", params={"limit": 10}).json()
    ids = [i["case"]["id"] for i in similar["items"]]
    assert original["id"] not in ids
    assert copy["id"] not in ids, "a near-copy is a duplicate, not a similar experience"
    assert len(ids) == 10
    assert all(0 < i["similarity"] < 0.97 for i in similar["items"])
    assert indexed.get(f"{CASES}/99999999/similar").status_code == 404


def test_check_duplicates_flags_a_copy(
    indexed: TestClient, app: FastAPI, admin_headers: dict[str, str]
) -> None:
    original = _create(indexed, admin_headers)
    drain(app)
    body = {"title": original["title"], "summary": original["summary"]}
    found = indexed.post(f"{CASES}/check-duplicates", json=body).json()["items"]
    assert found and found[0]["case"]["id"] == original["id"] and found[0]["level"] == "probable"
    itself = indexed.post(f"{CASES}/check-duplicates", json={**body, "exclude_id": original["id"]}).json()
    assert original["id"] not in [i["case"]["id"] for i in itself["items"]]
    assert indexed.post(f"{CASES}/check-duplicates", json={"title": ""}).status_code == 422


def test_search_next_cursor_gives_the_next_page(indexed: TestClient) -> None:
    params = {"q": "portail citoyen", "page_size": 5, "mode": "lexical"}
    first = indexed.get(SEARCH, params=params).json()
    assert first["next"]
    second = indexed.get(SEARCH, params={**params, "cursor": first["next"]}).json()
    assert second["page"] == 2
    by_page = indexed.get(SEARCH, params={**params, "page": 2}).json()
    assert [h["case"]["id"] for h in second["items"]] == [h["case"]["id"] for h in by_page["items"]]
    assert not {h["case"]["id"] for h in first["items"]} & {h["case"]["id"] for h in second["items"]}
    assert indexed.get(SEARCH, params={**params, "cursor": "nimporte"}).status_code == 422
