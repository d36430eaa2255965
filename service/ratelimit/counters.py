"""Fixed-window counters in the database, so that every app process sees the same counts.

During a request, count with `count` (in the request's own transaction: a request never checks out
a second connection); a count made by a request that is then rolled back is written again right after
it, on its own (`replay_uncommitted`, called by the session dependency once the request's connection
is back in the pool). Always count first, then do the work: a limit cannot be overrun by concurrent
requests that all peeked before any counted. `hit` (own transaction) is for code outside a request."""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass

from sqlalchemy import Engine, Insert, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service.ratelimit.models import RateCounter

log = logging.getLogger(__name__)
_PENDING = "rate_counts"  # Session.info key: counts not yet committed
_PURGE_EVERY = 500  # on average, one call in this many also deletes windows older than a day


@dataclass(frozen=True)
class Window:
    count: int
    retry_after: int  # seconds until the window ends


def window_bounds(window_seconds: int, now: float) -> tuple[int, int]:
    start = int(now // window_seconds * window_seconds)
    return start, max(1, math.ceil(start + window_seconds - now))


def _upsert(dialect: str, key: str, start: int) -> Insert:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(RateCounter)
        .values(key=key, window_start=start, count=1)
        .on_conflict_do_update(
            index_elements=[RateCounter.key, RateCounter.window_start],
            set_={"count": RateCounter.count + 1},
        )
        .returning(RateCounter.count)
    )


def hit(engine: Engine, key: str, *, window_seconds: int, now: float | None = None) -> Window:
    """Count one event for `key` in the current window and return the window's count."""
    now = time.time() if now is None else now
    start, retry_after = window_bounds(window_seconds, now)
    upsert = _upsert(engine.dialect.name, key, start)
    with engine.begin() as conn:
        count = conn.execute(upsert).scalar_one()
        if random.random() < 1 / _PURGE_EVERY:
            conn.execute(delete(RateCounter).where(RateCounter.window_start < now - 86_400))
    return Window(count=count, retry_after=retry_after)


def hit_in_transaction(db: Session, key: str, *, window_seconds: int, now: float | None = None) -> Window:
    """Like `hit`, but inside the caller's transaction: the event counts only if the caller commits.

    For limits on something that is itself written (a post): a refused or failed request leaves no
    count behind, and on SQLite it does not wait for a lock the same request already holds (a second
    connection cannot write while the request's session has written, e.g. an API key's last use)."""
    now = time.time() if now is None else now
    start, retry_after = window_bounds(window_seconds, now)
    count = db.execute(_upsert(db.get_bind().dialect.name, key, start)).scalar_one()
    return Window(count=count, retry_after=retry_after)


def count(db: Session, key: str, *, window_seconds: int, now: float | None = None) -> Window:
    """Count one event in the caller's transaction; it stands even if the request is rolled back."""
    now = time.time() if now is None else now
    window = hit_in_transaction(db, key, window_seconds=window_seconds, now=now)
    db.info.setdefault(_PENDING, []).append((key, window_seconds, now))
    return window


def settle(db: Session) -> None:
    """Commit the counts made so far (before slow work: a SQLite write lock or a PostgreSQL row lock
    is not held while a password is checked)."""
    db.commit()
    db.info.pop(_PENDING, None)


def replay_uncommitted(db: Session, engine: Engine) -> None:
    """Write again, each in its own short transaction, the counts of a rolled-back session."""
    for key, window_seconds, now in db.info.pop(_PENDING, []):
        try:
            hit(engine, key, window_seconds=window_seconds, now=now)
        except Exception as exc:  # the request's own error matters more
            log.warning("rate count %s lost: %s", key, exc)


def forgive(db: Session, key: str, *, window_seconds: int, now: float | None = None) -> None:
    """Take back one event of the current window (a successful login is not a failed attempt)."""
    now = time.time() if now is None else now
    start, _ = window_bounds(window_seconds, now)
    db.execute(
        update(RateCounter)
        .where(RateCounter.key == key, RateCounter.window_start == start, RateCounter.count > 0)
        .values(count=RateCounter.count - 1)
    )


def clear(db: Session, key: str) -> None:
    """Forget every window of `key` (e.g. an account's failed logins once it logs in)."""
    db.execute(delete(RateCounter).where(RateCounter.key == key))
