"""Who is using the browser: the signed session cookie (web/session.py) carries the random token of a
server-side login session (service/accounts/sessions.py). Resolved once per request, cached on it."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from service.accounts.models import User
from service.accounts.passwords import PASSWORD_SLOTS
from service.accounts.sessions import end_session, start_session, user_for_session
from service.api.no_store import PRINCIPAL_STATE_KEY
from service.authz.principal import ANONYMOUS, Principal, user_principal
from service.db.session import request_session
from web.session import get_session

_STATE_KEY = PRINCIPAL_STATE_KEY  # read by service/api/no_store.py
SESSION_KEY = "sid"


def current_principal(request: Request) -> Principal:
    cached = getattr(request.state, _STATE_KEY, None)
    if isinstance(cached, Principal):
        return cached
    principal = ANONYMOUS
    token = get_session(request).get(SESSION_KEY)
    if isinstance(token, str) and token:
        settings = request.app.state.settings
        with request_session(request) as (db, owned):
            user = user_for_session(db, token, days=settings.session_days, max_days=settings.session_max_days)
            if user is None:
                get_session(request).pop(SESSION_KEY)  # ended elsewhere or expired
            else:
                principal = user_principal(db, user)
            if owned:
                db.commit()  # the session's sliding expiry (else: with the request's transaction)
    setattr(request.state, _STATE_KEY, principal)
    return principal


async def resolve_principal(request: Request) -> None:
    """Router dependency of the web pages: the principal is known before the route's session opens.
    A browser without a login session costs no thread and no database connection."""
    token = get_session(request).get(SESSION_KEY)
    if not (isinstance(token, str) and token):
        setattr(request.state, _STATE_KEY, ANONYMOUS)
        return
    await run_in_threadpool(current_principal, request)


async def password_slot_free(request: Request) -> AsyncIterator[None]:
    """On the forms that check or hash a password: 429 at once when every Argon2 slot is busy."""
    async with PASSWORD_SLOTS.admission():
        yield


def log_in_user(request: Request, db: Session, user: User) -> None:
    """Start a login session for `user`; a fresh CSRF token too (no session fixation)."""
    settings = request.app.state.settings
    token = start_session(db, user, days=settings.session_days)
    session = get_session(request)
    old = session.get(SESSION_KEY)
    if isinstance(old, str) and old:
        end_session(db, old)
    session.set(SESSION_KEY, token)
    session.set("csrf", secrets.token_urlsafe(32))
    setattr(request.state, _STATE_KEY, user_principal(db, user))


def log_out(request: Request, db: Session) -> None:
    session = get_session(request)
    token = session.get(SESSION_KEY)
    if isinstance(token, str) and token:
        end_session(db, token)
    session.pop(SESSION_KEY)
    session.set("csrf", secrets.token_urlsafe(32))
    setattr(request.state, _STATE_KEY, ANONYMOUS)
