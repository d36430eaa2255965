"""CORS for browser integrations, on /api/ only (the HTML pages stay same-origin). Reads are public, so
any origin may read by default (`RETEX_CORS_ALLOW_ORIGINS`); no cookie is ever sent cross-origin."""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send


class ApiCors:
    def __init__(self, app: ASGIApp, allow_origins: list[str], prefix: str = "/api/") -> None:
        self.app = app
        self.prefix = prefix
        self.cors = CORSMiddleware(
            app,
            allow_origins=allow_origins,
            allow_methods=["GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-None-Match",
                "X-Request-ID",
                "Idempotency-Key",
            ],
            expose_headers=[
                "ETag",
                "X-Request-ID",
                "Link",
                "Location",
                "RateLimit",
                "RateLimit-Policy",
                "Retry-After",
                "Idempotent-Replayed",
            ],
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
