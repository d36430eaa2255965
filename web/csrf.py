"""CSRF protection of the web forms: a per-session token (kept in the signed session cookie), sent
back in a hidden field `csrf_token` (or the `X-CSRF-Token` header for scripted requests) and checked
on every unsafe request reaching a web route. The web router declares `csrf_protect` as a dependency,
so no POST route can forget it. The JSON API is not concerned: it authenticates with a bearer token,
never with the cookie."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from web.session import get_session

FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfError(Exception):
    """The form's token is missing or does not match the session: answered with a 403 page."""


def csrf_token(request: Request) -> str:
    """This session's token, created on first use (which sets the session cookie)."""
    session = get_session(request)
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session.set("csrf", token)
    return token


async def csrf_protect(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    expected = get_session(request).get("csrf")
    sent = request.headers.get(HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(FIELD)
            sent = value if isinstance(value, str) else None
    if not (isinstance(expected, str) and sent and hmac.compare_digest(sent.encode(), expected.encode())):
        raise CsrfError
