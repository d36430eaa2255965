"""Logging in with ProConnect in Chromium, end to end: the button on the login page, the provider's
pages (a real OpenID Connect provider on loopback), and back on Retex, logged in, as a member of the
organisation the provider vouched for."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from tests.support.browser import screenshot
from tests.support.oidc import AGENT_CLAIMS, LocalProvider, app_using_provider

pytestmark = pytest.mark.browser

# Paris's SIRET: the seeded organisation "Ville de Paris" represents the commune.
BROWSER_AGENT = {**AGENT_CLAIMS, "email": "camille.navigateur@paris.fr", "siret": "21750001600019"}


@pytest.fixture(scope="module")
def provider(
    app: FastAPI, live_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalProvider]:
    callback = f"{live_server}/connexion/oidc/retour"
    tmp = tmp_path_factory.mktemp("oidc-browser")
    with app_using_provider(app, tmp, [callback], {"navigateur": BROWSER_AGENT}) as running:
        yield running


def test_login_with_proconnect_in_the_browser(provider: LocalProvider, page: Any) -> None:
    page.goto("/connexion?suivant=/compte")
    screenshot(page, "connexion-proconnect")
    page.get_by_role("link", name="Se connecter avec ProConnect").click()
    page.wait_for_url(f"{provider.issuer}/interaction/**")
    page.locator("input[name=login]").fill("navigateur")
    page.locator("input[name=password]").fill("peu importe")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()  # the provider's consent page

    page.wait_for_url("**/compte")
    main = page.locator("main").inner_text()
    assert "camille.navigateur@paris.fr" in main
    memberships = page.locator("section", has=page.get_by_role("heading", name="Mes organisations"))
    # The membership the provider vouched for: approved at once, not a request waiting for an answer.
    assert re.search(r"Ville de Paris —\s+membre\b", memberships.inner_text()), memberships.inner_text()
    screenshot(page, "connexion-proconnect-compte")
