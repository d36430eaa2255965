"""The web session: a small signed cookie, until real accounts exist.

It holds the session's CSRF token and, after /connexion, proof that the visitor typed the admin token
(RETEX_ADMIN_TOKEN). The cookie is signed (HMAC-SHA256 with a key derived from RETEX_SECRET_KEY), not
encrypted, so it never holds the admin token itself: only a keyed fingerprint of it, which stops
matching as soon as the token is changed. HttpOnly, SameSite=Lax, Secure when the request came over
HTTPS. The accounts issue replaces `is_admin`/`log_in`/`log_out` with real users; nothing else in
web/ looks inside the cookie.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE_NAME = "retex_session"
SCOPE_KEY = "retex.web_session"
COOKIE_MAX_AGE = 14 * 24 * 3600  # the CSRF token's life
ADMIN_MAX_AGE = 12 * 3600  # an admin login lasts a working day
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

    def fingerprint(self, token: str) -> str:
        return _b64(hmac.new(self._key, b"admin:" + token.encode(), hashlib.sha256).digest())[:32]


class WebSessionMiddleware:
    """Loads the signed cookie into the request scope and writes it back when it changed."""

    def __init__(self, app: ASGIApp, secret_key: str) -> None:
        self.app = app
        self.signer = Signer(secret_key)

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
        secure = scope.get("scheme") == "https"

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


def _signer(request: Request) -> Signer | None:
    signer = request.scope.get("retex.signer")
    return signer if isinstance(signer, Signer) else None


def _admin_token(request: Request) -> str | None:
    token: str | None = request.app.state.settings.admin_token
    return token or None


def is_admin(request: Request) -> bool:
    """True when this browser logged in with the current admin token less than ADMIN_MAX_AGE ago."""
    token, signer = _admin_token(request), _signer(request)
    session = get_session(request)
    fp, since = session.get("admin"), session.get("admin_since")
    if not (token and signer and isinstance(fp, str) and isinstance(since, int)):
        return False
    return hmac.compare_digest(fp, signer.fingerprint(token)) and since + ADMIN_MAX_AGE > time.time()


def check_admin_token(request: Request, candidate: str) -> bool:
    token = _admin_token(request)
    return bool(token and candidate and hmac.compare_digest(candidate.encode(), token.encode()))


def log_in(request: Request) -> None:
    """Mark the session as admin (the caller checked the token) and rotate its CSRF token."""
    token, signer = _admin_token(request), _signer(request)
    if not (token and signer):
        return
    session = get_session(request)
    session.set("admin", signer.fingerprint(token))
    session.set("admin_since", int(time.time()))
    session.set("csrf", secrets.token_urlsafe(32))


def log_out(request: Request) -> None:
    session = get_session(request)
    session.pop("admin")
    session.pop("admin_since")
    session.set("csrf", secrets.token_urlsafe(32))
