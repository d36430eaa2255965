"""The embeddable widget: partners frame it; no other page may be framed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.browser import new_page


def test_widget_lists_a_themes_cases_and_may_be_framed_by_anyone(client: TestClient) -> None:
    theme = client.get("/widget", params={"theme": "achats-mutualisation"})
    assert theme.status_code == 200 and "Achats" in theme.text
    response = client.get("/widget", params={"limit": 3})
    public = client.app.state.settings.public_url.rstrip("/")  # type: ignore[attr-defined]
    assert response.text.count(f'href="{public}/experiences/') == 3  # RETEX_PUBLIC_URL, never Host
    assert 'target="_blank"' in response.text
    assert "frame-ancestors *" in response.headers["content-security-policy"]
    assert "x-frame-options" not in response.headers


def test_other_pages_still_refuse_to_be_framed(client: TestClient) -> None:
    response = client.get("/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


def test_widget_for_a_territory_and_unknown_theme(client: TestClient) -> None:
    territory = client.get("/widget", params={"territory": "83050"})
    assert territory.status_code == 200 and "Draguignan" in territory.text
    assert client.get("/widget", params={"theme": "pas-un-theme"}).status_code == 404


@contextmanager
def partner_site(html: str) -> Iterator[str]:
    """A partner's page served from another loopback origin (another port), like a real embedding site."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/annuaire"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.browser
def test_a_partner_page_embeds_the_widget_in_an_iframe(browser: Any, live_server: str) -> None:
    html = (
        f'<iframe id="widget" title="Retex" src="{live_server}/widget?limit=4"></iframe>'
        f'<iframe id="home" title="Accueil" src="{live_server}/"></iframe>'
    )
    with partner_site(html) as url:
        page = new_page(browser, live_server)
        page.goto(url)
        widget = page.frame_locator("#widget")
        widget.locator("li a").first.wait_for(state="visible")
        assert widget.locator("li a").count() == 4
        assert widget.locator("li a").first.get_attribute("target") == "_blank"
        # Any other page refuses the partner's frame (frame-ancestors 'none'): Chromium shows an error.
        page.wait_for_timeout(1000)
        home = page.frame_locator("#home")
        assert home.locator("text=Retex").count() == 0
        page.context.close()
