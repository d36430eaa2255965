"""Accounts in a real browser: a newcomer registers, confirms their address from the email, writes a
case and submits it; a moderator, in another browser, publishes it; the author sees it published."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.emails.models import Email
from tests.support.browser import browser_log_in, new_page
from tests.support.people import PASSWORD, People
from tests.support.web import drain

pytestmark = pytest.mark.browser


def _link_in_last_email(session: Session, to: str, path: str) -> str:
    session.expire_all()
    email = session.scalars(select(Email).where(Email.to_address == to).order_by(Email.id.desc())).first()
    assert email is not None, f"no email to {to}"
    match = re.search(re.escape(path) + r"\?jeton=\S+", email.body)
    assert match, email.body
    return match.group(0)


def test_register_confirm_submit_then_a_moderator_publishes(
    browser: Any, live_server: str, app: FastAPI, session: Session, people: People
) -> None:
    author = new_page(browser, live_server)
    email = f"claire-{uuid.uuid4().hex[:8]}@mairie-exemple.fr"
    author.goto("/inscription")
    author.locator("#email").fill(email)
    author.locator("#display_name").fill("Claire Martin")
    author.locator("#password").fill("court")
    author.locator("#password_confirm").fill("court")
    author.get_by_role("button", name="Créer mon compte").click()
    # The error is shown under the field and in the summary; what was typed stays.
    author.locator("#password-error").wait_for()
    assert "12 caractères" in author.locator("#password-error").inner_text()
    assert author.locator("#email").input_value() == email
    author.locator("#password").fill(PASSWORD)
    author.locator("#password_confirm").fill(PASSWORD)
    author.get_by_role("button", name="Créer mon compte").click()
    author.wait_for_url("**/compte?bienvenue=1")
    assert "à confirmer" in author.locator("main").inner_text()

    # Publishing waits for the confirmed address.
    author.goto("/publier")
    assert "Confirmez d'abord votre adresse" in author.locator("main").inner_text()
    author.goto(_link_in_last_email(session, email, "/compte/verifier"))
    assert "Adresse confirmée" in author.locator("h1").inner_text()

    title = f"Tiers-lieu numérique intercommunal {uuid.uuid4().hex[:6]}"
    author.goto("/publier")
    author.locator("#f-title").fill(title)
    author.get_by_label("Résumé").fill("Un lieu partagé par cinq communes pour accompagner les habitants.")
    author.get_by_role("button", name="Soumettre pour relecture").click()
    author.wait_for_url("**/experiences/tiers-lieu-numerique-intercommunal-*")
    case_url = author.url
    assert "soumise pour relecture" in author.locator("main").inner_text().lower()

    moderator = new_page(browser, live_server)
    browser_log_in(moderator, people.moderator, next_path="/moderation")
    card = moderator.locator("article", has_text=title)
    card.get_by_role("button", name=re.compile("^Publier")).click()
    moderator.wait_for_url("**/moderation?fait=published")
    assert "Expérience publiée" in moderator.locator("[role=status]").inner_text()
    assert title not in moderator.locator("main").inner_text()

    author.goto(case_url)
    history = author.locator("#section-history").locator("xpath=..").inner_text()
    assert "publiée par Moderatrice" in history
    visitor = new_page(browser, live_server)
    visitor.goto(case_url)
    assert visitor.locator("h1").inner_text() == title
    for page in (author, moderator, visitor):
        assert not page.js_errors
        page.context.close()
    drain(app)


def test_forgotten_password_then_log_in_with_the_new_one(
    browser: Any, live_server: str, session: Session, people: People
) -> None:
    from service.accounts.registration import register

    email = f"oubli-{uuid.uuid4().hex[:8]}@mairie-exemple.fr"
    register(session, email=email, display_name="Oubli", password=PASSWORD, public_url="http://x")
    session.commit()
    page = new_page(browser, live_server)
    page.goto("/connexion")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.locator("#email").fill(email)
    page.get_by_role("button", name="Recevoir un lien").click()
    assert "Si un compte existe" in page.locator("main").inner_text()
    page.goto(_link_in_last_email(session, email, "/mot-de-passe/nouveau"))
    new_password = "une toute nouvelle phrase secrète"
    page.locator("#password").fill(new_password)
    page.locator("#password_confirm").fill(new_password)
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/compte?mot-de-passe=change")
    page.get_by_role("button", name="Se déconnecter").click()
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(new_password)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    page.wait_for_url("**/compte")
    assert "Oubli" in page.get_by_label("Nom affiché").input_value()
    page.context.close()
