"""/docs: Swagger UI from the vendored npm package swagger-ui-dist (pinned in package.json, copied to
web/static/vendor/swagger-ui by `npm run vendor`), never from a CDN, under a Content-Security-Policy
that allows only this origin's scripts."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

VENDOR = "/static/vendor/swagger-ui"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def install_docs_page(app: FastAPI, *, openapi_url: str, title: str) -> None:
    html = f"""<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>{title} — documentation</title>
<link rel="stylesheet" href="{VENDOR}/swagger-ui.css">
<script src="{VENDOR}/swagger-ui-bundle.js" defer></script>
<script src="/static/swagger-init.js" defer></script>
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
</body>
</html>
"""

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(
            html, headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"}
        )
