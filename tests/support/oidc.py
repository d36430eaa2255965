"""A real OpenID Connect provider for the tests (panva's oidc-provider under Node.js, see
tests/support/oidc_provider/provider.mjs), started on a loopback port and stopped afterwards, and a
helper that signs in at its login and consent pages the way a browser would."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from service.accounts.oidc import OidcClient, OidcConfig
from tests.support.paths import REPO

SCRIPT = Path(__file__).parent / "oidc_provider" / "provider.mjs"
MODULE = REPO / "node_modules" / "oidc-provider"
CLIENT_SECRET = "un-secret-de-test-assez-long-0123456789"

PROCONNECT_SCOPES = "openid email given_name usual_name siret"
# The agent of the tests: a SIRET of the Draguignan town hall (SIREN 218300507).
AGENT_CLAIMS = {
    "email": "Camille.Agent@draguignan.fr",
    "email_verified": True,
    "given_name": "Camille",
    "usual_name": "Martin",
    "siret": "21830050700019",
}


@dataclass(frozen=True)
class LocalProvider:
    issuer: str
    log: Path


def _unavailable(message: str) -> None:
    if os.environ.get("RETEX_CI"):
        pytest.fail(message)  # in CI the provider must run: a missing node or module is a failure
    pytest.skip(message)


def client_metadata(client_id: str, redirect_uri: str, **extra: Any) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        **extra,
    }


@contextmanager
def running_provider(tmp: Path, config: dict[str, Any]) -> Iterator[LocalProvider]:
    """Start the provider with `config` (clients, accounts, clientAuthMethods): yield when it answers."""
    node = shutil.which("node")
    if node is None or not (MODULE / "package.json").exists():
        _unavailable("the OIDC test provider needs node and node_modules/oidc-provider (run `npm ci`)")
    assert node is not None
    tmp.mkdir(parents=True, exist_ok=True)
    config_path, log = tmp / "oidc-provider.json", tmp / "oidc-provider.log"
    config_path.write_text(json.dumps(config))
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [node, str(SCRIPT), str(config_path)], stdout=subprocess.PIPE, stderr=stderr, cwd=REPO
        )
    try:
        issuer = _read_issuer(process, log)
        _wait_for_discovery(issuer, process, log)
        yield LocalProvider(issuer=issuer, log=log)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        if process.stdout:
            process.stdout.close()


def _read_issuer(process: subprocess.Popen[bytes], log: Path) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 20)
    line = process.stdout.readline() if ready else b""
    if not line:
        raise RuntimeError(f"the OIDC provider did not start:\n{log.read_text()[-2000:]}")
    issuer: str = json.loads(line)["issuer"]
    return issuer


def _wait_for_discovery(issuer: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the OIDC provider's discovery did not answer:\n{log.read_text()[-2000:]}")


_FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>.*?name="prompt" value="(\w+)"', re.S)
_ABORT = re.compile(r'href="([^"]+/abort)"')


def sign_in(authorization_url: str, redirect_uri: str, login: str, *, cancel: bool = False) -> dict[str, str]:
    """Sign in as `login` (or cancel); the query of the callback it redirects to."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        response = browser.get(authorization_url)
        for _ in range(12):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                if location.startswith(redirect_uri):
                    return dict(parse_qsl(urlsplit(location).query))
                response = browser.get(location)
                continue
            assert response.status_code == 200, response.text
            if cancel:
                abort = _ABORT.search(response.text)
                assert abort, response.text
                response = browser.get(urljoin(str(response.url), abort.group(1)))
                continue
            form = _FORM.search(response.text)
            assert form, response.text
            action, prompt = urljoin(str(response.url), form.group(1)), form.group(2)
            data = {"prompt": prompt}
            if prompt == "login":
                data |= {"login": login, "password": "peu importe"}
            response = browser.post(action, data=data)
    raise AssertionError("the provider never redirected back to the client")


@contextmanager
def app_using_provider(
    app: FastAPI, tmp: Path, redirect_uris: list[str], accounts: dict[str, dict[str, Any]]
) -> Iterator[LocalProvider]:
    """A ProConnect-like provider (secret in the POST body, signed userinfo) that `app` logs in through,
    for the time of the block; the app's own OIDC client is put back afterwards."""
    client = client_metadata(
        "retex",
        redirect_uris[0],
        redirect_uris=redirect_uris,
        token_endpoint_auth_method="client_secret_post",
        userinfo_signed_response_alg="RS256",
    )
    config = {"clientAuthMethods": ["client_secret_post"], "clients": [client], "accounts": accounts}
    with running_provider(tmp, config) as provider:
        previous = getattr(app.state, "oidc", None)
        app.state.oidc = OidcClient(
            OidcConfig(
                issuer=provider.issuer,
                client_id="retex",
                client_secret=CLIENT_SECRET,
                scopes=PROCONNECT_SCOPES,
            )
        )
        try:
            yield provider
        finally:
            app.state.oidc.close()
            app.state.oidc = previous
