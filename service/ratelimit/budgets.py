"""Budgets for work a stranger can make us do (mails, password hashes, embeddings): one mechanism for
every limit, counted first, then 429 + Retry-After and a French message past the limit. `spend` counts
in the database (every app process sees the same counts), in the request's own transaction, and
commits the count at once (no lock is held during the work, and a refused or failed request still
counts); `spend_local` counts in this process's memory, for the per-request read budget that a
database write per request would cost too much to count. Both can tell the caller their window in the
RateLimit headers (service/ratelimit/policy.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from service.api.errors import TooManyRequests
from service.db.session import request_session
from service.ratelimit.counters import Window, count, settle
from service.ratelimit.local import LOCAL
from service.ratelimit.policy import quota, record
from service.ratelimit.slots import QUERY_SLOTS
from service.settings import Settings

# Policy names in the RateLimit headers (service/ratelimit/policy.py).
KEY_POLICY = "key"
ANONYMOUS_POLICY = "anonymous"
ANONYMOUS_SEARCH_POLICY = "anonymous-search"


def client_ip(request: Request) -> str:
    """The client's address; behind trusted proxies uvicorn has already taken it from X-Forwarded-For
    (RETEX_FORWARDED_ALLOW_IPS, see docs/deploy.md)."""
    return request.client.host if request.client else "inconnue"


def _wait_text(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


def _tell(request: Request | None, policy: str, limit: int, window_seconds: int, window: Window) -> None:
    if request is not None and policy:
        counted = quota(policy, limit=limit, window_seconds=window_seconds, window=window)
        record(request.scope.setdefault("state", {}), counted)


def spend(
    db: Session,
    key: str,
    *,
    limit: int,
    window_seconds: int,
    what: str,
    request: Request | None = None,
    policy: str = "",
) -> None:
    """Count one unit of `key`'s budget; past `limit` in the window, 429 (`what`: « de recherches »…).
    With `request` and `policy`, the window is told to the caller in the RateLimit headers."""
    window = count(db, key, window_seconds=window_seconds)
    settle(db)
    _tell(request, policy, limit, window_seconds, window)
    _refuse_past(window, limit, what)


def spend_local(
    key: str, *, limit: int, window_seconds: int, what: str, request: Request | None = None, policy: str = ""
) -> None:
    """`spend` counted in this process's memory (service/ratelimit/local.py)."""
    window = LOCAL.hit(key, window_seconds=window_seconds)
    _tell(request, policy, limit, window_seconds, window)
    _refuse_past(window, limit, what)


def _refuse_past(window: Window, limit: int, what: str) -> None:
    if window.count > limit:
        raise TooManyRequests(
            f"Trop {what} depuis votre connexion. Réessayez dans {_wait_text(window.retry_after)}.",
            retry_after=window.retry_after,
        )


def _spend_search(request: Request) -> None:
    settings: Settings = request.app.state.settings
    with request_session(request) as (db, _):  # the request's session, or a short one of its own
        spend(
            db,
            f"search:ip:{client_ip(request)}",
            limit=settings.anonymous_searches_per_minute,
            window_seconds=60,
            what="de recherches",
            request=request,
            policy=ANONYMOUS_SEARCH_POLICY,
        )


@asynccontextmanager
async def _search_budget(request: Request) -> AsyncIterator[None]:
    """Per-IP budget of searches (each computes an embedding) for callers without an API key: a key
    has its own quota (service/api/auth.py). Admission first, on the event loop: when every embedding
    slot is busy the search is refused at once, before it takes a thread or a database connection
    (a bounded queue per slot, service/ratelimit/slots.py); then the search is counted in the database
    and checked against the budget."""
    if request.headers.get("authorization"):
        yield
        return
    async with QUERY_SLOTS.admission():
        await run_in_threadpool(_spend_search, request)
        yield


async def anonymous_search_budget(request: Request) -> AsyncIterator[None]:
    async with _search_budget(request):
        yield


async def search_budget_when_asked(request: Request) -> AsyncIterator[None]:
    """For routes where the query `q` is optional: only a query costs an embedding."""
    if not request.query_params.get("q"):
        yield
        return
    async with _search_budget(request):
        yield


async def anonymous_read_budget(request: Request) -> None:
    """Per-IP budget of every API request without an API key (a key has its own quota, counted in
    service/api/auth.py): an anonymous mirror cannot take the whole server, and a partner learns from
    the RateLimit headers what a key would add. Counted in memory (a database write per read would
    cost more than the read)."""
    if request.headers.get("authorization"):
        return
    settings: Settings = request.app.state.settings
    spend_local(
        f"read:ip:{client_ip(request)}",
        limit=settings.anonymous_reads_per_minute,
        window_seconds=60,
        what="de requêtes sans clé d'API",
        request=request,
        policy=ANONYMOUS_POLICY,
    )


# One line on a search route: `dependencies=[SearchBudget]` (`QuerySearchBudget` when `q` is optional).
SearchBudget = Depends(anonymous_search_budget)
QuerySearchBudget = Depends(search_budget_when_asked)
# Once on the /api/v1 router (service/app.py).
ReadBudget = Depends(anonymous_read_budget)
