"""Issue 20: the partner guide (docs/api.md) is served by the site at /docs/api, linked from every
page's footer next to the interactive reference, rendered by the sanitising Markdown renderer."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from service.app import create_app
from service.settings import Settings
from tests.support.paths import REPO


def test_the_guide_is_reached_from_the_footer_in_a_browser(page: Any, live_server: str) -> None:
    page.goto("/")
    footer = page.locator("footer")
    assert footer.locator('a[href="/docs"]').count() == 1  # the interactive reference stays beside it
    footer.get_by_role("link", name="Guide de l'API pour les partenaires").click()
    page.wait_for_url("**/docs/api")
    assert "Intégrer Retex" in page.inner_text("h1")
    # The guide's own sections and runnable examples are there, as text (code stays code).
    assert page.get_by_role("heading", name="Avec curl").count() == 1
    assert "Authorization: Bearer rtx_" in page.inner_text("main")
    assert page.locator("pre code").count() >= 8
    assert not page.js_errors, page.js_errors


def test_the_guide_page_is_the_file_sanitised(settings: Settings, seeded_engine: Engine) -> None:
    app = create_app(settings.model_copy(update={"public_url": "https://retex.example.fr"}))
    answer = TestClient(app, base_url="https://testserver").get("/docs/api")
    assert answer.status_code == 200
    html = answer.text
    guide = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    assert guide.count("```") // 2 == html.count("<pre>")
    # The widget example's <iframe> is shown as code, never embedded.
    assert "&lt;iframe" in html and "<iframe" not in html
    # The examples name this instance's public address, not the guide's local one.
    assert "http://127.0.0.1:8000" not in html and "https://retex.example.fr/api/v1/search" in html
