"""Writing and reading case studies through /api/v1, including every kind of bad input."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseLink, CaseStudy

URL = "/api/v1/case-studies"


def _payload(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": f"Guichet numérique partagé {uuid.uuid4().hex[:8]}",
        "summary": "Un guichet unique pour les démarches des habitants de l'intercommunalité.",
        "context": "Les communes rurales n'avaient pas de **portail**.",
        "solution": "Un portail commun, hébergé par l'intercommunalité.",
        "status": "pilot",
        "started_on": "2024-01-15",
        "themes": ["services-en-ligne"],
        "territory_codes": ["83050", "248300493"],
        "links": [{"label": "Site", "url": "https://example.org/guichet"}],
        "publication_state": "published",
    }
    body.update(overrides)
    return body


def _counts(session: Session) -> tuple[int, int]:
    session.expire_all()
    return (
        session.scalar(select(func.count(CaseStudy.id))) or 0,
        session.scalar(select(func.count(CaseLink.id))) or 0,
    )


@pytest.fixture
def unchanged_db(session: Session) -> Iterator[None]:
    """Asserts that the test leaves the case studies exactly as it found them."""
    before = _counts(session)
    yield
    assert _counts(session) == before


def test_create_read_update_delete(client: TestClient, admin_headers: dict[str, str]) -> None:
    created = client.post(URL, json=_payload(), headers=admin_headers)
    assert created.status_code == 201, created.text
    case = created.json()
    assert case["slug"].startswith("guichet-numerique-partage-")
    assert sorted(t["code"] for t in case["territories"]) == ["248300493", "83050"]
    assert case["published_at"] is not None

    assert client.get(f"{URL}/{case['id']}").json()["title"] == case["title"]
    assert client.get(f"{URL}/by-slug/{case['slug']}").json()["id"] == case["id"]

    patched = client.patch(
        f"{URL}/{case['id']}",
        json={"title": "Nouveau titre du guichet", "status": "deployed"},
        headers=admin_headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["slug"] == case["slug"], "the slug is stable across title changes"
    assert patched.json()["status"] == "deployed"
    assert patched.json()["themes"][0]["slug"] == "services-en-ligne", (
        "relations untouched by a partial update"
    )

    assert client.delete(f"{URL}/{case['id']}", headers=admin_headers).status_code == 204
    assert client.get(f"{URL}/{case['id']}").status_code == 404


def test_writes_need_an_account_or_a_valid_key(client: TestClient, unchanged_db: None) -> None:
    anonymous = client.post(URL, json=_payload())
    assert anonymous.status_code == 401 and "Connectez-vous" in anonymous.json()["detail"]
    bad = client.post(URL, json=_payload(), headers={"Authorization": "Bearer wrong"})
    assert bad.status_code == 401 and bad.json()["detail"].startswith("Clé d'API inconnue")
    assert client.delete(f"{URL}/1").status_code == 401


def test_drafts_are_hidden_without_token(client: TestClient, admin_headers: dict[str, str]) -> None:
    draft = client.post(URL, json=_payload(publication_state="draft"), headers=admin_headers).json()
    assert client.get(f"{URL}/{draft['id']}").status_code == 404
    assert client.get(f"{URL}/{draft['id']}", headers=admin_headers).status_code == 200
    assert client.get(URL, params={"publication_state": "draft"}).status_code == 403
    drafts = client.get(
        URL, params={"publication_state": "draft", "limit": 100}, headers=admin_headers
    ).json()
    assert draft["id"] in [c["id"] for c in drafts["items"]]
    public = client.get(URL, params={"limit": 100}).json()
    assert draft["id"] not in [c["id"] for c in public["items"]]


def test_list_filters_and_cursor_pagination(client: TestClient) -> None:
    body = client.get(URL, params={"theme": "open-data", "limit": 10}).json()
    assert body["total"] >= 10
    assert all(any(t["slug"] == "open-data" for t in c["themes"]) for c in body["items"])
    seen = [c["id"] for c in body["items"]]
    page = body
    while page["next"]:
        page = client.get(URL, params={"theme": "open-data", "limit": 10, "cursor": page["next"]}).json()
        seen.extend(c["id"] for c in page["items"])
    assert len(seen) == len(set(seen)) == body["total"]
    by_territory = client.get(URL, params={"territory": "83050"}).json()
    assert by_territory["total"] >= 1
    stopped = client.get(URL, params={"status": "stopped", "limit": 5}).json()["items"]
    assert stopped and all(c["status"] == "stopped" for c in stopped)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"themes": ["no-such-theme"]}, "themes"),
        ({"territory_codes": ["00000"]}, "territory_codes"),
        ({"software_ids": [999_999]}, "software_ids"),
        ({"organisation_id": 999_999}, "organisation_id"),
        ({"started_on": "2024-05-01", "ended_on": "2024-04-01"}, "ended_on"),
        ({"status": "finished"}, "status"),
        ({"links": [{"label": "x", "url": "javascript:alert(1)"}]}, "links.0.url"),
        ({"unknown_field": 1}, "unknown_field"),
        ({"links": [{"label": "x", "url": "https://example.org/" + "a" * 1000}]}, "links.0.url"),
        ({"context": "a" * 20_001}, "context"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(
    client: TestClient,
    admin_headers: dict[str, str],
    unchanged_db: None,
    overrides: dict[str, Any],
    field: str,
) -> None:
    response = client.post(URL, json=_payload(**overrides), headers=admin_headers)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = [e["field"] for e in problem["errors"]]
    assert any(f == field or f.endswith(field) for f in fields), problem
    assert problem["detail"]


def test_bad_update_changes_nothing(
    client: TestClient, admin_headers: dict[str, str], session: Session
) -> None:
    case = client.post(URL, json=_payload(), headers=admin_headers).json()
    response = client.patch(
        f"{URL}/{case['id']}",
        json={"title": "Titre qui ne doit pas rester", "themes": ["nope"]},
        headers=admin_headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "themes"
    assert client.get(f"{URL}/{case['id']}").json()["title"] == case["title"]
    dates = client.patch(f"{URL}/{case['id']}", json={"ended_on": "2020-01-01"}, headers=admin_headers)
    assert dates.status_code == 422 and dates.json()["errors"][0]["field"] == "ended_on"
    assert client.patch(f"{URL}/{case['id']}", json={"title": None}, headers=admin_headers).status_code == 422


def test_ten_megabyte_body_is_refused(
    client: TestClient, admin_headers: dict[str, str], unchanged_db: None
) -> None:
    response = client.post(URL, json=_payload(context="a" * 10_000_000), headers=admin_headers)
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "body"


def test_invalid_json_and_utf8_are_refused(
    client: TestClient, admin_headers: dict[str, str], unchanged_db: None
) -> None:
    headers = {**admin_headers, "Content-Type": "application/json"}
    broken = client.post(URL, content=b'{"title": "oops",', headers=headers)
    assert broken.status_code == 422
    assert broken.json()["errors"][0]["field"] == "body"
    bad_utf8 = client.post(URL, content=b'{"title": "caf\xe9", "summary": "x"}', headers=headers)
    assert bad_utf8.status_code == 400
    assert bad_utf8.json()["errors"][0]["field"] == "body"


def test_nul_characters_are_a_client_error_never_a_500(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    assert client.get("/api/v1/territories/83%00").status_code < 500
    assert client.get(f"{URL}/by-slug/a%00b").status_code < 500
    response = client.post(URL, json=_payload(title="Titre\x00nul"), headers=admin_headers)
    assert response.status_code < 500
