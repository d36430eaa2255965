"""`Cache-Control: no-store` on every answer to an authenticated request (an API key, the operator
token, or a logged-in browser): a personal page, a new key's secret, /me or the GDPR export must not
stay in a shared cache or the browser's disk cache. An answer that sets its own Cache-Control keeps it."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PRINCIPAL_STATE_KEY = "retex_principal"  # where web/auth.py caches the browser's principal


def _authenticated(scope: Scope) -> bool:
    if any(name == b"authorization" for name, _ in scope.get("headers", [])):
        return True
    principal = scope.get("state", {}).get(PRINCIPAL_STATE_KEY)
    return bool(getattr(principal, "is_user", False))


class NoStoreWhenAuthenticated:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_no_store(message: Message) -> None:
            if message["type"] == "http.response.start" and _authenticated(scope):
                headers = message.get("headers", [])
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    message["headers"] = [*headers, (b"cache-control", b"no-store")]
            await send(message)

        await self.app(scope, receive, send_with_no_store)
