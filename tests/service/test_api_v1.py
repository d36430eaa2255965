"""What every /api/v1 route shares: cursors that walk each list, ETag / If-None-Match, request ids,
CORS for browser integrations, Problem Details for errors."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.software.models import SoftwareUsage

API = "/api/v1"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/case-studies", {}),
        ("/territories", {"q": "saint"}),
        ("/organisations", {}),
        ("/software", {}),
    ],
)
def test_each_list_is_walked_by_its_next_cursor(
    client: TestClient, path: str, params: dict[str, str]
) -> None:
    seen: list[object] = []
    page = client.get(API + path, params={**params, "limit": 3}).json()
    total = page["total"]
    for _ in range(4):
        assert len(page["items"]) == 3
        seen.extend(item.get("id", item.get("code")) for item in page["items"])
        assert page["next"]
        page = client.get(API + path, params={**params, "limit": 3, "cursor": page["next"]}).json()
        assert page["total"] == total
    assert len(seen) == len(set(seen)) == 12
    assert client.get(API + path, params={"limit": 101}).status_code == 422


def test_etag_gives_304_until_the_resource_changes(client: TestClient, admin_headers: dict[str, str]) -> None:
    first = client.get(f"{API}/case-studies", params={"limit": 2})
    etag = first.headers["etag"]
    again = client.get(f"{API}/case-studies", params={"limit": 2}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    created = client.post(
        f"{API}/case-studies",
        headers=admin_headers,
        json={"title": "Nouvelle expérience ETag", "summary": "Résumé.", "publication_state": "published"},
    )
    try:
        changed = client.get(f"{API}/case-studies", params={"limit": 2}, headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag
    finally:
        client.delete(f"{API}/case-studies/{created.json()['id']}", headers=admin_headers)


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    generated = client.get(f"{API}/themes").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert client.get(f"{API}/themes", headers={"X-Request-ID": "agence-42"}).headers["x-request-id"] == (
        "agence-42"
    )
    refused = client.get(f"{API}/themes", headers={"X-Request-ID": "pas un id valide !"})
    assert refused.headers["x-request-id"] != "pas un id valide !"
    missing = client.get(f"{API}/case-studies/999999")
    assert missing.status_code == 404 and missing.headers["x-request-id"]
    too_big = client.post(f"{API}/case-studies/check-duplicates", content=b"x" * 2_000_000)
    assert too_big.status_code == 413 and too_big.headers["x-request-id"]


def test_the_request_id_is_in_the_log_line_of_the_request(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="retex.requests"):
        client.get(f"{API}/case-studies/999999", headers={"X-Request-ID": "suivi-1234"})
    lines = [r.getMessage() for r in caplog.records if r.name == "retex.requests"]
    assert any("suivi-1234" in line and "404" in line for line in lines), lines


def test_cors_for_browser_integrations_on_the_api_only(client: TestClient) -> None:
    origin = {"Origin": "https://agence-numerique.example"}
    read = client.get(f"{API}/themes", headers=origin)
    assert read.headers["access-control-allow-origin"] == "*"
    assert "etag" in read.headers["access-control-expose-headers"].lower()
    preflight = client.options(
        f"{API}/search",
        headers={
            **origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert preflight.status_code == 200
    assert "access-control-allow-origin" not in client.get("/", headers=origin).headers


def test_errors_are_problem_details(client: TestClient) -> None:
    for response in (
        client.get(f"{API}/case-studies", params={"limit": 0}),
        client.get(f"{API}/case-studies/2147483648"),
        client.get(f"{API}/themes/inconnu"),
        client.post(f"{API}/case-studies", json={}),
    ):
        assert response.headers["content-type"] == "application/problem+json", response.text
        body = response.json()
        assert body["status"] == response.status_code and body["title"] and body["detail"]


def test_software_users_are_paginated_by_cursor_too(client: TestClient, session: Session) -> None:
    most_used = session.scalar(
        select(SoftwareUsage.software_id)
        .group_by(SoftwareUsage.software_id)
        .order_by(func.count(SoftwareUsage.organisation_id).desc())
        .limit(1)
    )
    path = f"{API}/software/{most_used}/users"
    everyone = client.get(path).json()
    assert everyone["total"] >= 2
    first = client.get(path, params={"limit": 1}).json()
    second = client.get(path, params={"limit": 1, "cursor": first["next"]}).json()
    names = [u["organisation"]["name"] for u in everyone["items"][:2]]
    assert [first["items"][0]["organisation"]["name"], second["items"][0]["organisation"]["name"]] == names
