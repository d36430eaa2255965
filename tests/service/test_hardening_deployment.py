"""Issue 15, finding 8 (deployment behind a TLS proxy) and the Low « the Host header is copied into
absolute links »: behind a trusted proxy the client's address is the forwarded one (per-IP limits count
clients, not the proxy), cookies are Secure, HTTPS answers carry HSTS, and absolute links are built on
RETEX_PUBLIC_URL whatever Host the client sent."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from service.app import create_app
from service.settings import Settings

PROXY = "10.99.0.1"
PUBLIC = "https://retex.example.fr"


@pytest.fixture(scope="module")
def proxied_app(settings: Settings, seeded_engine: Engine) -> FastAPI:
    return create_app(
        settings.model_copy(
            update={"forwarded_allow_ips": PROXY, "public_url": PUBLIC, "anonymous_searches_per_minute": 2}
        )
    )


def _through_proxy(client_ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": client_ip, "X-Forwarded-Proto": "https"}


def test_finding_8_deployment_behind_a_tls_proxy(proxied_app: FastAPI) -> None:
    proxy = TestClient(proxied_app, client=(PROXY, 40000), raise_server_exceptions=False)
    # Per-IP budgets count the forwarded client: one client spent, another is not locked out.
    for _ in range(2):
        proxy.get("/api/v1/search", params={"q": "logiciel"}, headers=_through_proxy("203.0.113.7"))
    assert (
        proxy.get("/api/v1/search", params={"q": "x"}, headers=_through_proxy("203.0.113.7")).status_code
        == 429
    )
    assert (
        proxy.get("/api/v1/search", params={"q": "x"}, headers=_through_proxy("203.0.113.8")).status_code
        != 429
    )
    # An untrusted peer cannot choose its address by sending the header itself.
    stranger = TestClient(proxied_app, client=("198.51.100.5", 40000), raise_server_exceptions=False)
    for n in range(3):
        answer = stranger.get(
            "/api/v1/search", params={"q": "x"}, headers={"X-Forwarded-For": f"192.0.2.{n}"}
        )
    assert answer.status_code == 429

    # HTTPS: HSTS and a Secure session cookie.
    page = proxy.get("/connexion", headers=_through_proxy("203.0.113.9"))
    assert page.status_code == 200
    assert "max-age=" in page.headers.get("Strict-Transport-Security", "")
    assert "Secure" in page.headers.get("set-cookie", "")


def test_finding_low_absolute_links_ignore_the_host_header(proxied_app: FastAPI) -> None:
    """Feeds, the widget and exports build their absolute links on RETEX_PUBLIC_URL, whatever Host the
    client sent."""
    proxy = TestClient(proxied_app, client=(PROXY, 40000), raise_server_exceptions=False)
    forged = {"Host": "evil.example", **_through_proxy("203.0.113.10")}
    for path in ("/api/v1/feeds/case-studies.atom", "/widget", "/api/v1/exports/case-studies.jsonl"):
        answer = proxy.get(path, headers=forged)
        assert answer.status_code == 200, (path, answer.text[:200])
        assert "evil.example" not in answer.text, path
        assert PUBLIC in answer.text, path
