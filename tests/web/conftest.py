"""Fixtures of the web tests: a logged-in TestClient, and for the browser tests the real app served
by uvicorn on a free port plus Debian's Chromium driven by Playwright. The helpers live in
tests/support/ (web.py, browser.py); `live_server` is in tests/conftest.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, new_page
from tests.support.people import People
from tests.support.web import log_in


@pytest.fixture
def admin_client(client: TestClient, people: People) -> TestClient:
    """A browser logged in as a Retex administrator (may write and publish anything)."""
    log_in(client, people.admin)
    return client


# --- browser tests ---------------------------------------------------------------------------------


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


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    pg = new_page(browser, live_server)
    try:
        yield pg
    finally:
        pg.context.close()
