"""Helpers of the accounts tests: fresh users (so no test spends the shared `people`' login budget or
changes their memberships), the emails queued to someone, the link inside an email."""

from __future__ import annotations

import html
import re
import time
import uuid
from functools import cache
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from service.accounts.api_keys import create_api_key
from service.accounts.models import Membership, MembershipStatus, Role, User
from service.accounts.passwords import hash_password
from service.authz.principal import ALL_SCOPES, Scope
from service.db.base import utcnow
from service.db.engine import make_session_factory
from service.emails.models import Email
from tests.support.people import PASSWORD, Person
from tests.support.web import csrf_from

CASES = "/api/v1/case-studies"
_LINK = re.compile(r"https?://\S+?(/\S*jeton=\S+)")


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)  # Argon2 is slow on purpose: hash once per run


def display_name(email: str) -> str:
    """The name new_person gives to the user of `email`."""
    return f"Agent {email[2:12]}"


def new_person(
    engine: Engine,
    *,
    verified: bool = True,
    org_id: int | None = None,
    org_admin: bool = False,
    role: Role = Role.member,
    scopes: frozenset[Scope] = ALL_SCOPES,
) -> Person:
    """A user of their own (unique email) with a personal API key."""
    email = f"p-{uuid.uuid4().hex[:10]}@commune.test.fr"
    with make_session_factory(engine)() as db:
        user = User(
            email=email,
            display_name=display_name(email),
            password_hash=_password_hash(),
            role=role,
            email_verified_at=utcnow() if verified else None,
        )
        db.add(user)
        db.flush()
        if org_id is not None:
            db.add(
                Membership(
                    user_id=user.id,
                    organisation_id=org_id,
                    is_org_admin=org_admin,
                    status=MembershipStatus.approved,
                )
            )
        _, secret = create_api_key(
            db,
            name="clé de test",
            scopes=scopes,
            rate_limit_per_minute=10_000,
            user_id=user.id,
            created_by_id=user.id,
        )
        db.commit()
        return Person(user_id=user.id, email=email, api_key=secret)


def bearer(person: Person) -> dict[str, str]:
    return {"Authorization": f"Bearer {person.api_key}"}


def emails_to(engine: Engine, address: str, kind: str | None = None) -> list[Email]:
    with make_session_factory(engine)() as db:
        stmt = select(Email).where(Email.to_address == address).order_by(Email.id)
        if kind is not None:
            stmt = stmt.where(Email.kind == kind)
        return list(db.scalars(stmt))


def link_in(email: Email) -> str:
    """The local path (with its ?jeton=) of the link an email carries."""
    match = _LINK.search(email.body)
    assert match, f"no link in the email: {email.body!r}"
    return match.group(1)


def text_of(response: Any) -> str:
    return html.unescape(response.text)


def post_form(client: TestClient, page: str, action: str, data: dict[str, str]) -> Any:
    """Load `page` for its CSRF token, then post the form to `action` (redirects not followed)."""
    token = csrf_from(client.get(page).text)
    return client.post(action, data={**data, "csrf_token": token}, follow_redirects=False)


def fresh_window(seconds: int, margin: float = 5.0) -> None:
    """Rate limits count in fixed windows: start a test that must stay in one window well inside it."""
    left = seconds - time.time() % seconds
    if left < margin:
        time.sleep(left + 0.05)


def scalar(engine: Engine, stmt: Any) -> Any:
    with Session(engine) as db:
        return db.scalar(stmt)


def case_payload(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": f"Tiers-lieu numérique {uuid.uuid4().hex[:8]}",
        "summary": "Un tiers-lieu pour accompagner les habitants dans leurs démarches en ligne.",
        "context": "Beaucoup d'habitants n'avaient pas d'ordinateur.",
        "status": "pilot",
        "publication_state": "draft",
    }
    body.update(overrides)
    return body
