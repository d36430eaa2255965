"""Issue 15, finding High 1 (site-wide freeze): a request uses at most one database connection.

The login throttle, the API-key quota and the unread count of a logged-in page each checked out a
second connection while the request's session held one: 16 concurrent logins exhausted the pool and
froze every route. Here the connections checked out at the same time are counted during each kind of
request (no lifespan: no background thread shares the pool). The burst itself, against a real server,
is tests/service/test_abuse_burst.py."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tests.service.accounts_support import bearer, new_person, post_form
from tests.support.people import PASSWORD


class ConnectionGauge:
    """The most connections checked out of the pool at the same time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.out = 0
        self.peak = 0

    def checkout(self, *_: Any) -> None:
        with self._lock:
            self.out += 1
            self.peak = max(self.peak, self.out)

    def checkin(self, *_: Any) -> None:
        with self._lock:
            self.out -= 1

    def reset(self) -> None:
        with self._lock:
            self.peak = self.out


@pytest.fixture
def gauge(app: FastAPI) -> Iterator[ConnectionGauge]:
    engine: Engine = app.state.engine
    g = ConnectionGauge()
    event.listen(engine, "checkout", g.checkout)
    event.listen(engine, "checkin", g.checkin)
    try:
        yield g
    finally:
        event.remove(engine, "checkout", g.checkout)
        event.remove(engine, "checkin", g.checkin)


def _browser(app: FastAPI) -> TestClient:
    ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
    return TestClient(app, client=(ip, 50000))


def test_finding_high1_one_connection_per_request(
    app: FastAPI, seeded_engine: Engine, gauge: ConnectionGauge
) -> None:
    person = new_person(seeded_engine)
    browser = _browser(app)

    def log_in(password: str) -> Any:
        page = browser.get("/connexion")
        assert page.status_code == 200
        gauge.reset()
        return post_form(browser, "/connexion", "/connexion", {"email": person.email, "password": password})

    failed = log_in("pas le bon mot de passe")
    assert failed.status_code == 401
    assert gauge.peak <= 1, f"a failed login used {gauge.peak} connections at once"

    ok = log_in(PASSWORD)
    assert ok.status_code == 303
    assert gauge.peak <= 1, f"a login used {gauge.peak} connections at once"

    gauge.reset()
    page = browser.get("/compte")  # a logged-in page: its header shows the unread count
    assert page.status_code == 200
    assert gauge.peak <= 1, f"a logged-in page used {gauge.peak} connections at once"

    gauge.reset()
    answer = TestClient(app).get("/api/v1/themes", headers=bearer(person))  # the key's quota
    assert answer.status_code == 200
    assert gauge.peak <= 1, f"an API-key request used {gauge.peak} connections at once"

    # An anonymous search counts its budget in the database: still one connection at a time.
    stranger = TestClient(app, client=("10.251.0.1", 50000), raise_server_exceptions=False)
    for path in ("/api/v1/search?q=logiciel", "/recherche?q=logiciel"):
        gauge.reset()
        assert stranger.get(path).status_code != 429
        assert gauge.peak <= 1, f"{path} used {gauge.peak} connections at once"

    _pool_timeout_is_503_with_retry_after(app)


def _pool_timeout_is_503_with_retry_after(app: FastAPI) -> None:
    """No free connection within the pool timeout: 503 + Retry-After and a French message, not 500."""
    engine: Engine = app.state.engine

    def exhausted(*_: Any) -> None:
        raise PoolTimeout("QueuePool limit of size 20 overflow 5 reached")

    event.listen(engine, "checkout", exhausted)
    try:
        client = TestClient(app, raise_server_exceptions=False)
        api = client.get("/api/v1/themes")
        page = client.get("/experiences", headers={"Accept": "text/html"})
    finally:
        event.remove(engine, "checkout", exhausted)
    for answer in (api, page):
        assert answer.status_code == 503, answer.text[:300]
        assert answer.headers.get("Retry-After")
        assert "réessayez" in answer.text
