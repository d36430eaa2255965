"""The web session: a small signed cookie.

It holds the session's CSRF token and, once logged in, the random token of a server-side login
session (web/auth.py). The cookie is signed (HMAC-SHA256 with a key derived from RETEX_SECRET_KEY),
not encrypted: it holds nothing secret beyond those random tokens. HttpOnly, SameSite=Lax, Secure
when the request came over HTTPS (or through a proxy saying so, with uvicorn's --proxy-headers).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE_NAME = "retex_session"
SCOPE_KEY = "retex.web_session"
COOKIE_MAX_AGE = 14 * 24 * 3600  # the CSRF token's life
# Paths that never need the session (and never get a cookie).
_NO_SESSION_PREFIXES = ("/api/", "/static/", "/docs", "/openapi")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class WebSession:
    data: dict[str, Any] = field(default_factory=dict)
    modified: bool = False

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def set(self, key: str, value: Any) -> None:
        if self.data.get(key) != value:
            self.data[key] = value
            self.modified = True

    def pop(self, key: str) -> None:
        if key in self.data:
            del self.data[key]
            self.modified = True


class Signer:
    def __init__(self, secret_key: str) -> None:
        self._key = hmac.new(secret_key.encode(), b"retex-web-session-v1", hashlib.sha256).digest()

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def dumps(self, data: dict[str, Any]) -> str:
        payload = _b64(json.dumps(data, separators=(",", ":")).encode())
        return f"{payload}.{self._mac(payload)}"

    def loads(self, value: str) -> dict[str, Any] | None:
        payload, _, mac = value.partition(".")
        if not payload or not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            data = json.loads(_unb64(payload))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("iat"), int):
            return None
        if data["iat"] + COOKIE_MAX_AGE < time.time():
            return None
        return data


class WebSessionMiddleware:
    """Loads the signed cookie into the request scope and writes it back when it changed."""

    def __init__(self, app: ASGIApp, secret_key: str, *, always_secure: bool = False) -> None:
        self.app = app
        self.signer = Signer(secret_key)
        self.always_secure = always_secure  # the public address is https: the cookie never leaves TLS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_NO_SESSION_PREFIXES):
            await self.app(scope, receive, send)
            return
        data: dict[str, Any] | None = None
        for name, value in scope.get("headers") or []:
            if name == b"cookie":
                cookie: SimpleCookie = SimpleCookie()
                try:
                    cookie.load(value.decode("latin-1"))
                except Exception:  # a malformed Cookie header is the client's problem, not a 500
                    continue
                if COOKIE_NAME in cookie:
                    data = self.signer.loads(cookie[COOKIE_NAME].value)
        session = WebSession(data or {})
        scope[SCOPE_KEY] = session
        scope["retex.signer"] = self.signer
        secure = self.always_secure or scope.get("scheme") == "https"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and session.modified:
                session.data["iat"] = int(time.time())
                attrs = f"Path=/; Max-Age={COOKIE_MAX_AGE}; HttpOnly; SameSite=Lax"
                if secure:
                    attrs += "; Secure"
                header = f"{COOKIE_NAME}={self.signer.dumps(session.data)}; {attrs}"
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"set-cookie", header.encode("latin-1"))]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def get_session(request: Request) -> WebSession:
    """The request's session (an empty, throw-away one where the middleware does not run)."""
    session = request.scope.get(SCOPE_KEY)
    if session is None:
        session = WebSession()
        request.scope[SCOPE_KEY] = session
    assert isinstance(session, WebSession)
    return session
