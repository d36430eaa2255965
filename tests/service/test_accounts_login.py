"""Logging in and out (server-side sessions, throttling against guessing) and resetting a forgotten
password. Throttling tests use fresh users and their own client address: the shared accounts and the
test client's usual address keep their budget."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from service.accounts.login import BAD_CREDENTIALS, WINDOW_SECONDS
from service.accounts.models import OneTimeToken, TokenPurpose, UserSession
from service.db.base import utcnow
from service.settings import Settings
from tests.service.accounts_support import (
    emails_to,
    fresh_window,
    link_in,
    new_person,
    post_form,
    text_of,
)
from tests.support.people import PASSWORD, Person
from tests.support.web import csrf_from

TOO_MANY = "Trop de tentatives de connexion"


def browser_at_own_address(app: FastAPI) -> TestClient:
    """A browser at an address of its own (the per-address login budget is its own). Not started as
    a context manager: login needs no search engine, and only one lifespan may hold the embedded index."""
    ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
    return TestClient(app, client=(ip, 50000))


@pytest.fixture
def own_ip_client(app: FastAPI) -> Iterator[TestClient]:
    yield browser_at_own_address(app)


def _log_in(client: TestClient, email: str, password: str) -> Any:
    return post_form(
        client, "/connexion", "/connexion", {"email": email, "password": password, "suivant": "/"}
    )


def _sessions(engine: Engine, user_id: int) -> int:
    with Session(engine) as db:
        return db.scalar(select(func.count(UserSession.id)).where(UserSession.user_id == user_id)) or 0


def _logged_in(client: TestClient) -> bool:
    response = client.get("/compte", follow_redirects=False)
    assert response.status_code in (200, 303)
    return response.status_code == 200


def test_unknown_email_and_wrong_password_get_the_same_answer(
    own_ip_client: TestClient, seeded_engine: Engine
) -> None:
    person = new_person(seeded_engine)
    unknown = _log_in(own_ip_client, f"personne.{uuid.uuid4().hex[:6]}@nulle-part.fr", PASSWORD)
    wrong = _log_in(own_ip_client, person.email, "pas le bon mot de passe")
    assert unknown.status_code == wrong.status_code == 401
    assert BAD_CREDENTIALS in text_of(unknown) and BAD_CREDENTIALS in text_of(wrong)
    assert _sessions(seeded_engine, person.user_id) == 0


def test_five_failures_lock_the_account_even_with_the_right_password(
    own_ip_client: TestClient, app: FastAPI, seeded_engine: Engine
) -> None:
    fresh_window(WINDOW_SECONDS)
    person = new_person(seeded_engine)
    limit = app.state.settings.login_max_failures_per_account
    assert limit == 5
    for _ in range(limit):
        assert _log_in(own_ip_client, person.email, "mauvais mot de passe").status_code == 401
    blocked = _log_in(own_ip_client, person.email, PASSWORD)
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= WINDOW_SECONDS
    assert TOO_MANY in text_of(blocked) and "minute" in text_of(blocked)
    assert _sessions(seeded_engine, person.user_id) == 0
    # The lock is on that account, not on everyone: another account logs in from the same address.
    other = new_person(seeded_engine)
    assert _log_in(own_ip_client, other.email, PASSWORD).status_code == 303


def test_per_address_limit_across_different_accounts(
    own_ip_client: TestClient, app: FastAPI, seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh_window(WINDOW_SECONDS)
    settings: Settings = app.state.settings
    monkeypatch.setattr(settings, "login_max_failures_per_ip", 3)
    for _ in range(3):  # three different accounts, one failure each: no account reaches its own limit
        victim = new_person(seeded_engine)
        assert _log_in(own_ip_client, victim.email, "essai au hasard").status_code == 401
    person = new_person(seeded_engine)
    blocked = _log_in(own_ip_client, person.email, PASSWORD)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert TOO_MANY in text_of(blocked)
    elsewhere = TestClient(app, client=("10.254.254.254", 50000))  # another address: not blocked
    assert _log_in(elsewhere, person.email, PASSWORD).status_code == 303


def test_login_starts_a_server_side_session_and_logout_ends_it(
    client: TestClient, seeded_engine: Engine
) -> None:
    person = new_person(seeded_engine)
    assert not _logged_in(client)
    response = _log_in(client, person.email, PASSWORD)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert _sessions(seeded_engine, person.user_id) == 1
    assert _logged_in(client)

    assert post_form(client, "/compte", "/deconnexion", {}).status_code == 303
    assert _sessions(seeded_engine, person.user_id) == 0
    assert not _logged_in(client)


def test_a_session_ended_on_the_server_logs_the_browser_out(
    client: TestClient, seeded_engine: Engine
) -> None:
    person = new_person(seeded_engine)
    assert _log_in(client, person.email, PASSWORD).status_code == 303
    kept_cookie = client.cookies.get("retex_session")
    with Session(seeded_engine) as db:  # e.g. "log out everywhere", or an admin ending it
        db.query(UserSession).filter(UserSession.user_id == person.user_id).delete()
        db.commit()
    assert kept_cookie and not _logged_in(client), "a copied cookie is worthless once the session ended"


def test_idle_sessions_expire_and_active_ones_slide(client: TestClient, seeded_engine: Engine) -> None:
    person = new_person(seeded_engine)
    assert _log_in(client, person.email, PASSWORD).status_code == 303
    with Session(seeded_engine) as db:  # last seen an hour ago, expiring in a minute
        db.execute(
            update(UserSession)
            .where(UserSession.user_id == person.user_id)
            .values(last_seen_at=utcnow() - timedelta(hours=1), expires_at=utcnow() + timedelta(minutes=1))
        )
        db.commit()
    assert _logged_in(client)
    with Session(seeded_engine) as db:
        row = db.scalar(select(UserSession).where(UserSession.user_id == person.user_id))
        assert row is not None
        expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
        assert expires > utcnow() + timedelta(days=13), "using the site keeps the session alive"
        db.execute(
            update(UserSession)
            .where(UserSession.user_id == person.user_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.commit()
    assert not _logged_in(client)
    assert _sessions(seeded_engine, person.user_id) == 0, "an expired session is deleted"


def test_session_cookie_is_secure_over_https(app: FastAPI, seeded_engine: Engine) -> None:
    person = new_person(seeded_engine)
    browser = TestClient(app, base_url="https://testserver", client=("10.253.0.1", 50000))
    response = _log_in(browser, person.email, PASSWORD)
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


# --- forgotten password ------------------------------------------------------------------------------


def _ask_reset(client: TestClient, email: str) -> Any:
    return post_form(client, "/mot-de-passe-oublie", "/mot-de-passe-oublie", {"email": email})


def _reset(client: TestClient, link: str, password: str) -> Any:
    token = link.split("jeton=", 1)[1]
    form_page = client.get(link)
    assert form_page.status_code == 200
    return client.post(
        "/mot-de-passe/nouveau",
        data={
            "jeton": token,
            "password": password,
            "password_confirm": password,
            "csrf_token": csrf_from(form_page.text),
        },
        follow_redirects=False,
    )


def test_reset_request_says_the_same_whether_the_account_exists(
    client: TestClient, seeded_engine: Engine
) -> None:
    person = new_person(seeded_engine)
    nobody = f"inconnu.{uuid.uuid4().hex[:8]}@mairie.test.fr"
    known, unknown = _ask_reset(client, person.email), _ask_reset(client, nobody)
    assert known.status_code == unknown.status_code == 200
    assert "Si un compte existe pour cette adresse" in text_of(known)
    assert "Si un compte existe pour cette adresse" in text_of(unknown)
    assert len(emails_to(seeded_engine, person.email, "reset_password")) == 1
    assert emails_to(seeded_engine, nobody) == []


def test_reset_link_works_once_and_ends_every_session(app: FastAPI, seeded_engine: Engine) -> None:
    person = new_person(seeded_engine)
    new_password = "un tout nouveau mot de passe"
    laptop, phone = browser_at_own_address(app), browser_at_own_address(app)
    assert _log_in(laptop, person.email, PASSWORD).status_code == 303
    assert _logged_in(laptop)
    assert _ask_reset(phone, person.email).status_code == 200
    (mail,) = emails_to(seeded_engine, person.email, "reset_password")
    link = link_in(mail)
    assert link.startswith("/mot-de-passe/nouveau?jeton=")

    done = _reset(phone, link, new_password)
    assert done.status_code == 303, done.text
    assert not _logged_in(laptop), "whoever had the old password is logged out"
    assert _sessions(seeded_engine, person.user_id) == 1  # the phone, just logged in by the reset
    assert _logged_in(phone)

    reused = _reset(phone, link, "encore un autre mot de passe")
    assert reused.status_code == 400
    assert "Ce lien n'est pas valable" in text_of(reused)

    phone.cookies.clear()
    assert _log_in(phone, person.email, PASSWORD).status_code == 401
    assert _log_in(phone, person.email, new_password).status_code == 303


def test_expired_reset_link_is_refused(client: TestClient, seeded_engine: Engine) -> None:
    person = new_person(seeded_engine)
    assert _ask_reset(client, person.email).status_code == 200
    (mail,) = emails_to(seeded_engine, person.email, "reset_password")
    with Session(seeded_engine) as db:
        db.execute(
            update(OneTimeToken)
            .where(
                OneTimeToken.user_id == person.user_id, OneTimeToken.purpose == TokenPurpose.reset_password
            )
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.commit()
    refused = _reset(client, link_in(mail), "un tout nouveau mot de passe")
    assert refused.status_code == 400
    assert "Ce lien n'est pas valable" in text_of(refused)
    client.cookies.clear()
    assert _log_in(client, person.email, PASSWORD).status_code == 303, "the password did not change"


def test_reset_with_a_short_password_keeps_the_link(client: TestClient, seeded_engine: Engine) -> None:
    person: Person = new_person(seeded_engine)
    assert _ask_reset(client, person.email).status_code == 200
    (mail,) = emails_to(seeded_engine, person.email, "reset_password")
    short = _reset(client, link_in(mail), "court")
    assert short.status_code == 422
    assert "au moins 12 caractères" in text_of(short)
    assert _reset(client, link_in(mail), "un mot de passe bien plus long").status_code == 303
