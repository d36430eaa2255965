"""Issue 15, finding 6 (credential lifecycle): personal API keys survived a password reset and a
deactivation/reactivation, never expired, a `write` key could create more keys; and the Low « sessions
slide forever and survive deactivation »."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from service.accounts.models import ApiKey, TokenPurpose, User, UserSession
from service.accounts.one_time_tokens import issue_token
from service.accounts.registration import request_password_reset, reset_password
from service.accounts.sessions import start_session, user_for_session
from service.db.base import utcnow
from tests.service.accounts_support import bearer, emails_to, new_person, post_form
from tests.support.people import People
from tests.support.web import log_in

ME = "/api/v1/me"


def _sessions(engine: Engine, user_id: int) -> int:
    with Session(engine) as db:
        return db.scalar(select(func.count(UserSession.id)).where(UserSession.user_id == user_id)) or 0


def test_finding_6_credential_lifecycle(client: TestClient, people: People, seeded_engine: Engine) -> None:
    # A `write` key cannot create keys: only an interactive session on the site can.
    person = new_person(seeded_engine)
    copy = client.post(
        "/api/v1/me/api-keys", json={"name": "copie", "scopes": ["read"]}, headers=bearer(person)
    )
    assert copy.status_code == 403, copy.text
    assert "depuis votre compte" in copy.json()["detail"]

    # A password reset ends every session and revokes personal keys; the mail says so.
    with Session(seeded_engine) as db:
        user = db.get(User, person.user_id)
        assert user is not None
        start_session(db, user, days=14)
        request_password_reset(db, email=person.email, public_url="https://retex.example.fr")
        token = issue_token(db, user, TokenPurpose.reset_password)
        db.commit()
    assert "révoque vos clés d'API" in emails_to(seeded_engine, person.email, "reset_password")[-1].body
    with Session(seeded_engine) as db:
        reset_password(db, token=token, password="un tout nouveau mot de passe")
        db.commit()
    assert _sessions(seeded_engine, person.user_id) == 0
    assert client.get(ME, headers=bearer(person)).status_code == 401, "the old key is revoked"

    # Deactivation ends sessions and keys at once (reactivation brings none back).
    other = new_person(seeded_engine)
    with Session(seeded_engine) as db:
        user = db.get(User, other.user_id)
        assert user is not None
        start_session(db, user, days=14)
        db.commit()
    admin = people.headers("admin")
    assert client.patch(f"/api/v1/users/{other.user_id}", json={"is_active": False}, headers=admin).is_success
    assert _sessions(seeded_engine, other.user_id) == 0
    assert client.patch(f"/api/v1/users/{other.user_id}", json={"is_active": True}, headers=admin).is_success
    assert client.get(ME, headers=bearer(other)).status_code == 401

    # Keys expire (a year by default).
    third = new_person(seeded_engine)
    with Session(seeded_engine) as db:
        key = db.scalar(select(ApiKey).where(ApiKey.user_id == third.user_id))
        assert key is not None and key.expires_at is not None
        assert timedelta(days=364) < key.expires_at.replace(tzinfo=None) - utcnow().replace(tzinfo=None)
        db.execute(
            update(ApiKey).where(ApiKey.id == key.id).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.commit()
    assert client.get(ME, headers=bearer(third)).status_code == 401, "an expired key is refused"


def test_finding_low_sessions_have_an_absolute_lifetime_and_end_on_deactivation(
    client: TestClient, people: People, seeded_engine: Engine
) -> None:
    """Login sessions slid forever and survived deactivation."""
    third = new_person(seeded_engine)
    # A session has an absolute lifetime, however active it stays.
    with Session(seeded_engine) as db:
        user = db.get(User, third.user_id)
        assert user is not None
        token = start_session(db, user, days=14)
        db.execute(
            update(UserSession)
            .where(UserSession.user_id == user.id)
            .values(created_at=utcnow() - timedelta(days=31), last_seen_at=utcnow())
        )
        db.commit()
        assert user_for_session(db, token, days=14, max_days=30) is None
        db.commit()
    assert _sessions(seeded_engine, third.user_id) == 0

    # A deactivated account's browser is logged out at once, and reactivation does not log it back in.
    fourth = new_person(seeded_engine)
    browser = TestClient(client.app)
    log_in(browser, fourth)
    assert browser.get("/compte", follow_redirects=False).status_code == 200
    admin = people.headers("admin")
    assert client.patch(
        f"/api/v1/users/{fourth.user_id}", json={"is_active": False}, headers=admin
    ).is_success
    assert browser.get("/compte", follow_redirects=False).status_code == 303
    assert client.patch(f"/api/v1/users/{fourth.user_id}", json={"is_active": True}, headers=admin).is_success
    assert browser.get("/compte", follow_redirects=False).status_code == 303


def _key_count(engine: Engine) -> int:
    with Session(engine) as db:
        return db.scalar(select(func.count(ApiKey.id))) or 0


def test_finding_6_only_an_interactive_session_creates_keys(
    client: TestClient, people: People, seeded_engine: Engine
) -> None:
    """No key makes keys — not even an administrator's key with every scope, on either key route; a
    logged-in browser (session cookie + CSRF token) does, on the site."""
    before = _key_count(seeded_engine)
    admin_key = people.headers("admin")
    partner = client.post("/api/v1/api-keys", json={"name": "copie partenaire"}, headers=admin_key)
    assert partner.status_code == 403, partner.text
    assert partner.json()["detail"] == (
        "Une clé d'API ne peut pas créer d'autre clé : créez-la depuis la page Administration, sur le site."
    )
    personal = client.post(
        "/api/v1/me/api-keys", json={"name": "copie", "scopes": ["read", "write"]}, headers=admin_key
    )
    assert personal.status_code == 403, personal.text
    assert "depuis votre compte, sur le site" in personal.json()["detail"]
    for who in ("member", "moderator", "org_admin"):
        mine = client.post("/api/v1/me/api-keys", json={"name": "copie"}, headers=people.headers(who))
        assert mine.status_code == 403, (who, mine.text)
    # The web forms read the session cookie, never a key; and they need the session's CSRF token.
    with_key_only = TestClient(client.app).post(
        "/admin/cles", data={"name": "par clé", "scopes": "read"}, headers=admin_key, follow_redirects=False
    )
    assert with_key_only.status_code in (303, 403), with_key_only.text[:200]
    assert _key_count(seeded_engine) == before, "no key was made by a key"

    browser = TestClient(client.app)
    log_in(browser, people.admin)
    no_csrf = browser.post(
        "/admin/cles", data={"name": "sans jeton", "scopes": "read"}, follow_redirects=False
    )
    assert no_csrf.status_code == 403
    assert _key_count(seeded_engine) == before
    made = post_form(
        browser,
        "/admin",
        "/admin/cles",
        {"name": "Agence régionale", "scopes": "read", "rate_limit_per_minute": "60"},
    )
    assert made.status_code == 201, made.text[:300]
    made_personal = post_form(browser, "/compte", "/compte/cles", {"name": "mon script", "scopes": "read"})
    assert made_personal.status_code == 201, made_personal.text[:300]
    assert _key_count(seeded_engine) == before + 2
