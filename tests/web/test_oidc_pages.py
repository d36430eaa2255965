"""The OpenID Connect login routes against a real provider on loopback: the button, the callback that
logs in and goes on, and the French error pages of each failed callback."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.oidc import AGENT_CLAIMS, LocalProvider, app_using_provider, sign_in

CALLBACK = "http://testserver/connexion/oidc/retour"  # where the TestClient's requests come from
# An agent of Paris's town hall: the seeded organisation "Ville de Paris" represents the commune.
PARIS_AGENT = {**AGENT_CLAIMS, "email": "camille.agent@paris.fr", "siret": "21750001600019"}


@pytest.fixture(scope="module")
def provider(app: FastAPI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalProvider]:
    tmp = tmp_path_factory.mktemp("oidc-pages")
    with app_using_provider(app, tmp, [CALLBACK], {"agent": PARIS_AGENT}) as running:
        yield running


def _start(client: TestClient, next_path: str = "/compte") -> str:
    response = client.get(f"/connexion/oidc?suivant={next_path}", follow_redirects=False)
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    return location


def test_login_page_offers_the_provider(provider: LocalProvider, client: TestClient) -> None:
    html = client.get("/connexion?suivant=/publier").text
    assert "Se connecter avec ProConnect" in html
    assert 'href="/connexion/oidc?suivant=/publier"' in html or "suivant=%2Fpublier" in html
    assert _start(client).startswith(f"{provider.issuer}/auth?")


def test_callback_logs_in_and_goes_to_the_page_asked_for(provider: LocalProvider, client: TestClient) -> None:
    params = sign_in(_start(client, "/publier"), CALLBACK, "agent")
    done = client.get("/connexion/oidc/retour", params=params, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/publier"
    account = client.get("/compte").text
    assert "camille.agent@paris.fr" in account
    assert re.search(r"<li>Ville de Paris —\s+membre</li>", account), "an approved membership"

    replay = client.get("/connexion/oidc/retour", params=params, follow_redirects=False)
    assert replay.status_code == 400
    assert "a expiré ou a déjà servi" in replay.text and 'href="/connexion"' in replay.text


def test_cancelling_at_the_provider_shows_a_french_page(provider: LocalProvider, client: TestClient) -> None:
    params = sign_in(_start(client), CALLBACK, "agent", cancel=True)
    response = client.get("/connexion/oidc/retour", params=params)
    assert response.status_code == 400
    assert "La connexion avec ProConnect a été annulée." in response.text
    assert "Revenir à la page de connexion" in response.text
    assert "camille.agent" not in client.get("/compte").text


def test_a_callback_for_another_login_is_refused(provider: LocalProvider, client: TestClient) -> None:
    params = sign_in(_start(client), CALLBACK, "agent")
    _start(client)  # a login started since in another tab: its state replaced this one's
    response = client.get("/connexion/oidc/retour", params=params)
    assert response.status_code == 400
    assert "ne correspond pas à votre demande de connexion" in response.text


def test_without_oidc_there_is_no_button_and_no_route(app: FastAPI, client: TestClient) -> None:
    saved = getattr(app.state, "oidc", None)
    app.state.oidc = None
    try:
        assert "Se connecter avec" not in client.get("/connexion").text
        assert client.get("/connexion/oidc", follow_redirects=False).status_code == 404
        assert client.get("/connexion/oidc/retour?code=x&state=y").status_code == 404
    finally:
        app.state.oidc = saved
