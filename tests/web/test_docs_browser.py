"""Issue 15, Low « /docs loads Swagger UI from a CDN, unpinned, without SRI or CSP »: Swagger UI is
served from the vendored npm package (swagger-ui-dist pinned in package.json) under a CSP that allows
only this origin's scripts, and it renders in a real Chromium with no CSP violation."""

from __future__ import annotations

from typing import Any


def test_finding_low_swagger_ui_is_vendored_under_the_csp(page: Any, live_server: str) -> None:
    answer = page.goto("/docs")
    assert answer is not None and answer.status == 200
    csp = answer.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.reload()
    page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
    assert "Retex API" in page.inner_text(".swagger-ui .info .title")
    assert all(url.startswith(live_server) for url in requested), [
        u for u in requested if not u.startswith(live_server)
    ]
    assert not page.js_errors, page.js_errors
