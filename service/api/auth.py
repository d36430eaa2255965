"""Who is calling the JSON API: `Authorization: Bearer …` carries an API key (a partner's, or a
member's personal key) or the operator token (RETEX_ADMIN_TOKEN); no header means the anonymous
public. The API never reads the browser's session cookie, so it needs no CSRF protection. A header
that tries to carry a key but cannot be read (no `Bearer`, an `X-API-Key` header) or names no active key
is refused with 401 and a French and English hint — never served as anonymous, which would hide the
mistake behind the anonymous quota.

Each key has a per-minute quota (counted in the database, so shared by every app process); past it
the answer is 429 with Retry-After. What a principal may do is decided in
service/authz/permissions.py, not here."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service.accounts.api_keys import find_active_key, why_refused
from service.accounts.models import Role, User
from service.api.datetimes import as_utc
from service.api.errors import DomainError, TooManyRequests
from service.authz.permissions import Action, authorize
from service.authz.principal import (
    ANONYMOUS,
    OPERATOR,
    Principal,
    Scope,
    partner_principal,
    user_principal,
)
from service.db.base import utcnow
from service.db.session import DbSession
from service.ratelimit.budgets import KEY_POLICY
from service.ratelimit.counters import count, settle
from service.ratelimit.policy import quota, record
from service.settings import Settings

_bearer = HTTPBearer(
    auto_error=False,
    description="Clé d'API (`rtx_…`, créée dans Retex) ou jeton d'opérateur (RETEX_ADMIN_TOKEN).",
)
_LAST_USED_EVERY = timedelta(minutes=1)


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(get_settings)]


HOW_TO_SEND = (
    "Envoyez la clé dans l'en-tête « Authorization: Bearer rtx_… ». "
    "/ Send the key in the header “Authorization: Bearer rtx_…”."
)
MALFORMED = "En-tête Authorization illisible. / Unreadable Authorization header. " + HOW_TO_SEND
X_API_KEY = "L'en-tête X-API-Key n'est pas lu. / The X-API-Key header is not read. " + HOW_TO_SEND


class InvalidKey(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(
            message, field="Authorization", status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )


def bearer_secret(request: Request) -> str | None:
    """The secret of `Authorization: Bearer <secret>`, None without any credential header; 401 for a
    credential sent in a way the API does not read."""
    if "x-api-key" in request.headers:
        raise InvalidKey(X_API_KEY)
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, secret = header.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or " " in secret:
        raise InvalidKey(MALFORMED)
    return secret


def get_principal(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    _documented: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    # `_bearer` only documents the scheme in OpenAPI: it reads a malformed header as no header at all.
    secret = bearer_secret(request)
    if secret is None:
        return ANONYMOUS
    if settings.admin_token and secrets.compare_digest(secret.encode(), settings.admin_token.encode()):
        return OPERATOR
    key = find_active_key(db, secret)
    if key is None:
        raise InvalidKey(why_refused(db, secret))
    window = count(db, f"api-key:{key.id}", window_seconds=60)  # in the request's transaction
    record(
        request.scope.setdefault("state", {}),
        quota(KEY_POLICY, limit=key.rate_limit_per_minute, window_seconds=60, window=window),
    )
    if window.count > key.rate_limit_per_minute:
        raise TooManyRequests(
            f"Quota de la clé dépassé ({key.rate_limit_per_minute} requêtes par minute). "
            f"Réessayez dans {window.retry_after} s.",
            retry_after=window.retry_after,
        )
    now = utcnow()
    last = key.last_used_at
    if last is None or now - as_utc(last) > _LAST_USED_EVERY:
        key.last_used_at = now
    settle(db)  # the count (and last use) stand even if the request fails; no lock held after
    scopes = frozenset(Scope(s) for s in key.scopes if s in Scope.__members__)
    if key.user_id is None:
        return partner_principal(
            api_key_id=key.id, scopes=scopes, rate_limit_per_minute=key.rate_limit_per_minute
        )
    user = db.get(User, key.user_id)
    if user is None or not user.is_active:
        raise InvalidKey("Le compte de cette clé est désactivé. / This key's account is disabled.")
    return user_principal(
        db, user, scopes=scopes, api_key_id=key.id, rate_limit_per_minute=key.rate_limit_per_minute
    )


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def is_admin(principal: CurrentPrincipal) -> bool:
    return principal.has_role(Role.admin)


async def require_admin(principal: CurrentPrincipal) -> None:
    authorize(principal, Action.manage_users)


IsAdmin = Annotated[bool, Depends(is_admin)]
AdminOnly = Depends(require_admin)


async def require_read(principal: CurrentPrincipal) -> None:
    authorize(principal, Action.read)


async def require_search(principal: CurrentPrincipal) -> None:
    authorize(principal, Action.search)


# Pure checks are `async def`: FastAPI runs a plain `def` dependency in a worker thread, one hop
# (and a wait for the interpreter lock) per dependency and request.
# Router-level guards (see service/app.py): every API request resolves its principal — so a bad key
# or a spent quota is refused everywhere — and needs the key scope of its family of routes.
ReadAccess = Depends(require_read)
SearchAccess = Depends(require_search)
