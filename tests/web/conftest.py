"""Fixtures of the web tests: a logged-in TestClient, and for the browser tests the real app served
by uvicorn on a free port plus Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import REPO, People, Person

CHROMIUM = Path(os.environ.get("RETEX_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = REPO / "build" / "screenshots"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def drain(app: FastAPI) -> int:
    handled: int = app.state.outbox_worker.run_until_idle()
    return handled


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def log_in(client: TestClient, person: Person) -> None:
    token = csrf_from(client.get("/connexion").text)
    response = client.post(
        "/connexion",
        data={"email": person.email, "password": person.password, "csrf_token": token, "suivant": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def admin_client(client: TestClient, people: People) -> TestClient:
    """A browser logged in as a Retex administrator (may write and publish anything)."""
    log_in(client, people.admin)
    return client


# --- browser tests ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def live_server(app: FastAPI) -> Iterator[str]:
    """The real app under uvicorn, on 127.0.0.1, index drained. The TestClient context runs the app's
    lifespan (search engine, territory index) once; uvicorn serves the same app without re-running it
    (the embedded index opens in one place only)."""
    with TestClient(app):
        drain(app)
        runtime = getattr(app.state, "territory_index", None)
        if runtime is not None:
            runtime.wait_ready(120)
        port = _free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", access_log=False
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="uvicorn-live", daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(15)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("RETEX_CI"):
            pytest.fail(message)  # in CI a missing browser is a failure, never a skip
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()


def new_page(browser: Any, base_url: str, **options: Any) -> Any:
    """A page in a fresh context; `page.js_errors` collects script errors and CSP violations."""
    options.setdefault("viewport", {"width": 1280, "height": 900})
    context = browser.new_context(base_url=base_url, locale="fr-FR", **options)
    context.set_default_timeout(10_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on(
        "console",  # CSP violations and script errors; not the 4xx answers the tests ask for
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    pg.js_errors = errors
    return pg


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    pg = new_page(browser, live_server)
    try:
        yield pg
    finally:
        pg.context.close()


def browser_log_in(page: Any, person: Person, next_path: str = "/publier") -> None:
    page.goto(f"/connexion?suivant={next_path}")
    page.get_by_label("Adresse e-mail").fill(person.email)
    page.get_by_label("Mot de passe").fill(person.password)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    page.wait_for_url(f"**{next_path}")


def axe_violations(page: Any, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """Run axe-core (vendored) in the page; the violations of the given impacts."""
    page.add_script_tag(path=str(AXE_JS))  # the page's context must bypass the CSP (inline script)
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary),
            }));
        }"""
    )
    return [v for v in found if v["impact"] in impacts]


def screenshot(page: Any, name: str) -> Path:
    """The whole page (`name.png`) and its first screen (`name-ecran.png`) under build/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-ecran.png"))
    return path
