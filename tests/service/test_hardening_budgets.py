"""Issue 15, finding 7 (no limit where a stranger makes us work) and the Low finding « the login
throttle is peek → verify → count ». One mechanism (service/ratelimit/budgets.py): counted first, in
the request's transaction, then 429 + Retry-After with a French message."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from service.app import create_app
from service.settings import Settings
from tests.service.accounts_support import emails_to, new_person, post_form


@pytest.fixture(scope="module")
def strict_app(settings: Settings, seeded_engine: Engine) -> FastAPI:
    return create_app(
        settings.model_copy(
            update={
                "anonymous_searches_per_minute": 3,
                "password_resets_per_hour": 2,
                "verification_mails_per_hour": 2,
                "registrations_per_hour": 2,
                "account_deletions_per_hour": 2,
                "login_max_failures_per_account": 5,
            }
        )
    )


def _browser(app: FastAPI) -> TestClient:
    ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
    return TestClient(app, client=(ip, 50000), raise_server_exceptions=False)


def _refused(answer: Any) -> None:
    assert answer.status_code == 429, answer.text[:300]
    assert int(answer.headers["Retry-After"]) > 0
    assert "Réessayez dans" in answer.text


def test_finding_7_strangers_have_budgets(strict_app: FastAPI, seeded_engine: Engine) -> None:
    browser = _browser(strict_app)
    # Anonymous searches (API, duplicate check, page, widget) share one per-IP budget.
    for _ in range(3):
        assert browser.get("/api/v1/search", params={"q": "logiciel"}).status_code != 429
    _refused(browser.get("/api/v1/search", params={"q": "logiciel"}))
    _refused(browser.post("/api/v1/case-studies/check-duplicates", json={"title": "Un titre de fiche"}))
    _refused(browser.get("/recherche", params={"q": "logiciel"}))
    _refused(browser.get("/widget", params={"q": "logiciel"}))

    # Password-reset mails: per address.
    person = new_person(seeded_engine)
    other = _browser(strict_app)
    answers = [
        post_form(other, "/mot-de-passe-oublie", "/mot-de-passe-oublie", {"email": person.email})
        for _ in range(3)
    ]
    assert [a.status_code for a in answers[:2]] == [200, 200]
    _refused(answers[2])
    assert len(emails_to(seeded_engine, person.email, "reset_password")) == 2

    # Registrations (an Argon2 hash each): per IP.
    third = _browser(strict_app)
    statuses = []
    for _ in range(3):
        email = f"n-{uuid.uuid4().hex[:10]}@commune.test.fr"
        form = {
            "email": email,
            "display_name": "Nouvel agent",
            "password": "x" * 14,
            "password_confirm": "x" * 14,
        }
        statuses.append(post_form(third, "/inscription", "/inscription", form))
        third.cookies.clear()
    assert [s.status_code for s in statuses[:2]] == [303, 303]
    _refused(statuses[2])


def test_finding_low_login_throttle_counts_before_it_checks(
    strict_app: FastAPI, seeded_engine: Engine
) -> None:
    """Ten concurrent guesses against a limit of five: at most five passwords are checked."""
    person = new_person(seeded_engine)
    browser = _browser(strict_app)
    token_page = browser.get("/connexion")
    assert token_page.status_code == 200

    def guess(i: int) -> int:
        answer = post_form(
            browser, "/connexion", "/connexion", {"email": person.email, "password": f"mauvais {i}"}
        )
        return int(answer.status_code)

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(guess, range(10)))
    assert statuses.count(401) <= 5, statuses
    assert set(statuses) <= {401, 429}, statuses
