"""Creating an account through the web form and confirming its address by the emailed link."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from service.accounts.models import OneTimeToken, TokenPurpose, User
from service.db.base import utcnow
from service.emails.models import Email
from tests.service.accounts_support import emails_to, link_in, post_form, text_of
from tests.support.people import PASSWORD

INVALID_LINK = "Ce lien n'est pas valable"


def _register(client: TestClient, email: str, password: str = PASSWORD, confirm: str | None = None) -> Any:
    return post_form(
        client,
        "/inscription",
        "/inscription",
        {
            "email": email,
            "display_name": "Claire Martin",
            "password": password,
            "password_confirm": password if confirm is None else confirm,
        },
    )


def _user(engine: Engine, email: str) -> User | None:
    with Session(engine) as db:
        return db.scalar(select(User).where(func.lower(User.email) == email.lower()))


def _email_count(engine: Engine, address: str) -> int:
    with Session(engine) as db:
        return db.scalar(select(func.count(Email.id)).where(Email.to_address == address.lower())) or 0


def test_register_then_confirm_by_the_emailed_link(client: TestClient, seeded_engine: Engine) -> None:
    email = f"claire.{uuid.uuid4().hex[:8]}@mairie.test.fr"
    response = _register(client, email)
    assert response.status_code == 303, response.text
    user = _user(seeded_engine, email)
    assert user is not None and not user.email_verified
    assert user.password_hash and PASSWORD not in user.password_hash

    (mail,) = emails_to(seeded_engine, email, "verify_email")
    assert "confirmez votre adresse" in mail.subject
    link = link_in(mail)
    assert link.startswith("/compte/verifier?jeton=")

    confirmed = client.get(link)
    assert confirmed.status_code == 200
    assert "Adresse confirmée" in text_of(confirmed)
    user = _user(seeded_engine, email)
    assert user is not None and user.email_verified

    again = client.get(link)
    assert again.status_code == 400
    assert INVALID_LINK in text_of(again)


def test_forged_and_expired_links_are_refused(client: TestClient, seeded_engine: Engine) -> None:
    forged = client.get("/compte/verifier?jeton=pas-un-vrai-jeton")
    assert forged.status_code == 400
    assert INVALID_LINK in text_of(forged)
    assert client.get("/compte/verifier").status_code == 400

    email = f"lent.{uuid.uuid4().hex[:8]}@mairie.test.fr"
    assert _register(client, email).status_code == 303
    user = _user(seeded_engine, email)
    assert user is not None
    (mail,) = emails_to(seeded_engine, email, "verify_email")
    with Session(seeded_engine) as db:
        db.execute(
            update(OneTimeToken)
            .where(OneTimeToken.user_id == user.id, OneTimeToken.purpose == TokenPurpose.verify_email)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.commit()
    expired = client.get(link_in(mail))
    assert expired.status_code == 400
    assert INVALID_LINK in text_of(expired)
    user = _user(seeded_engine, email)
    assert user is not None and not user.email_verified


def test_a_new_link_replaces_the_previous_one(client: TestClient, seeded_engine: Engine) -> None:
    email = f"relance.{uuid.uuid4().hex[:8]}@mairie.test.fr"
    assert _register(client, email).status_code == 303  # also logs in
    assert client.get("/compte").status_code == 200
    resent = post_form(client, "/compte", "/compte/verifier/renvoyer", {})
    assert resent.status_code == 303
    first, second = emails_to(seeded_engine, email, "verify_email")
    assert client.get(link_in(first)).status_code == 400
    assert client.get(link_in(second)).status_code == 200


def test_duplicate_email_is_an_inline_error_and_writes_nothing(
    client: TestClient, seeded_engine: Engine
) -> None:
    email = f"double.{uuid.uuid4().hex[:8]}@mairie.test.fr"
    assert _register(client, email).status_code == 303
    client.cookies.clear()
    before = _email_count(seeded_engine, email)
    for variant in (email, email.upper()):
        response = _register(client, variant)
        assert response.status_code == 422
        assert "Un compte existe déjà avec cette adresse" in text_of(response)
        assert 'aria-describedby="email-error' in response.text  # under its field
        assert variant in text_of(response), "what was typed is kept"
    with Session(seeded_engine) as db:
        assert db.scalar(select(func.count(User.id)).where(func.lower(User.email) == email)) == 1
    assert _email_count(seeded_engine, email) == before


def test_short_password_and_mismatched_confirmation(client: TestClient, seeded_engine: Engine) -> None:
    email = f"court.{uuid.uuid4().hex[:8]}@mairie.test.fr"
    short = _register(client, email, password="court")
    assert short.status_code == 422
    assert "au moins 12 caractères" in text_of(short)
    assert 'aria-describedby="password-error' in short.text

    mismatch = _register(client, email, password=PASSWORD, confirm=PASSWORD + " ?")
    assert mismatch.status_code == 422
    assert "les deux mots de passe sont différents" in text_of(mismatch)
    assert PASSWORD not in mismatch.text, "a password is never sent back in the page"

    assert _user(seeded_engine, email) is None
    assert _email_count(seeded_engine, email) == 0
