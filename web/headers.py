"""Security headers of the HTML pages. The Content-Security-Policy only allows this origin's own
scripts and styles (htmx and retex.js are files under /static; no inline script, no eval): a
defence in depth behind the escaping and sanitizing of user text. /api and /docs are left alone
(Swagger UI has its own needs)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]
# The widget is made to be framed by partners' sites: any ancestor may frame it, and X-Frame-Options
# (which cannot say "anyone") is left out. Every other page refuses to be framed.
WIDGET_PATH = "/widget"
WIDGET_HEADERS = [
    (b"content-security-policy", CSP.replace("frame-ancestors 'none'", "frame-ancestors *").encode()),
    *[(n, v) for n, v in HEADERS if n not in (b"content-security-policy", b"x-frame-options")],
]
_SKIP = ("/api/", "/docs", "/openapi")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_SKIP):
            await self.app(scope, receive, send)
            return

        headers = WIDGET_HEADERS if scope["path"] == WIDGET_PATH else HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in headers if n not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
