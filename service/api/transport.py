"""Deployment behind a TLS reverse proxy (docs/deploy.md).

- The client's address and scheme come from X-Forwarded-For / X-Forwarded-Proto, but only when the
  connection comes from a trusted proxy (RETEX_FORWARDED_ALLOW_IPS): every per-IP limit then counts
  the real client, not the proxy.
- An HTTPS answer carries Strict-Transport-Security (RETEX_HSTS_SECONDS; 0 turns it off).
- Absolute links (feeds, exports, widget) are built on RETEX_PUBLIC_URL, never on the Host header a
  client sent."""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from service.settings import Settings


class StrictTransport:
    def __init__(self, app: ASGIApp, *, max_age: int, always: bool = False) -> None:
        self.app = app
        self.header = (b"strict-transport-security", f"max-age={max_age}; includeSubDomains".encode())
        self.max_age = max_age
        self.always = always

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        https = scope.get("scheme") == "https" or self.always
        if scope["type"] != "http" or not https or self.max_age <= 0:
            await self.app(scope, receive, send)
            return

        async def send_with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self.header]
            await send(message)

        await self.app(scope, receive, send_with_hsts)


def install_transport(app: FastAPI, settings: Settings) -> None:
    """Call last: the proxy headers are read before anything else (request log, limits)."""
    app.add_middleware(
        StrictTransport, max_age=settings.hsts_seconds, always=settings.public_url.startswith("https://")
    )
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)


def public_base(request: Request) -> str:
    """The site's public address, without a trailing slash (RETEX_PUBLIC_URL)."""
    settings: Settings = request.app.state.settings
    return settings.public_url.rstrip("/")


def public_url_of(request: Request) -> str:
    """The public address of this request (path and query), for an Atom feed's self link."""
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{public_base(request)}{request.url.path}{query}"
