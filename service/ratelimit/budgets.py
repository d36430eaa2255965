"""Budgets for work a stranger can make us do (mails, password hashes, embeddings): one mechanism for
every limit. `spend` counts first, in the request's own transaction, commits the count at once (no
lock is held during the work, and a refused or failed request still counts), then refuses past the
limit with 429 + Retry-After and a French message."""

from __future__ import annotations

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from service.api.errors import TooManyRequests
from service.db.session import DbSession
from service.ratelimit.counters import count, settle
from service.settings import Settings


def client_ip(request: Request) -> str:
    """The client's address; behind trusted proxies uvicorn has already taken it from X-Forwarded-For
    (RETEX_FORWARDED_ALLOW_IPS, see docs/deploy.md)."""
    return request.client.host if request.client else "inconnue"


def _wait_text(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


def spend(db: Session, key: str, *, limit: int, window_seconds: int, what: str) -> None:
    """Count one unit of `key`'s budget; past `limit` in the window, 429 (`what`: « de recherches »…)."""
    window = count(db, key, window_seconds=window_seconds)
    settle(db)
    if window.count > limit:
        raise TooManyRequests(
            f"Trop {what} depuis votre connexion. Réessayez dans {_wait_text(window.retry_after)}.",
            retry_after=window.retry_after,
        )


def anonymous_search_budget(request: Request, db: DbSession) -> None:
    """Per-IP budget of searches (each computes an embedding) for callers without an API key: a key
    has its own quota (service/api/auth.py)."""
    if request.headers.get("authorization"):
        return
    settings: Settings = request.app.state.settings
    spend(
        db,
        f"search:ip:{client_ip(request)}",
        limit=settings.anonymous_searches_per_minute,
        window_seconds=60,
        what="de recherches",
    )


# One line on a search route: `dependencies=[SearchBudget]`.
SearchBudget = Depends(anonymous_search_budget)
