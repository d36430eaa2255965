"""Fixed-window counters in the database, so that every app process sees the same counts.

Each call runs in its own short transaction: a count must survive the rollback of the request that
made it (a failed login is exactly such a request)."""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from service.ratelimit.models import RateCounter

_PURGE_EVERY = 500  # on average, one call in this many also deletes windows older than a day


@dataclass(frozen=True)
class Window:
    count: int
    retry_after: int  # seconds until the window ends


def _window(window_seconds: int, now: float) -> tuple[int, int]:
    start = int(now // window_seconds * window_seconds)
    return start, max(1, math.ceil(start + window_seconds - now))


def hit(engine: Engine, key: str, *, window_seconds: int, now: float | None = None) -> Window:
    """Count one event for `key` in the current window and return the window's count."""
    now = time.time() if now is None else now
    start, retry_after = _window(window_seconds, now)
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    upsert = (
        insert(RateCounter)
        .values(key=key, window_start=start, count=1)
        .on_conflict_do_update(
            index_elements=[RateCounter.key, RateCounter.window_start],
            set_={"count": RateCounter.count + 1},
        )
        .returning(RateCounter.count)
    )
    with engine.begin() as conn:
        count = conn.execute(upsert).scalar_one()
        if random.random() < 1 / _PURGE_EVERY:
            conn.execute(delete(RateCounter).where(RateCounter.window_start < now - 86_400))
    return Window(count=count, retry_after=retry_after)


def peek(engine: Engine, key: str, *, window_seconds: int, now: float | None = None) -> Window:
    """The current window's count, without counting."""
    now = time.time() if now is None else now
    start, retry_after = _window(window_seconds, now)
    with engine.connect() as conn:
        count = conn.scalar(
            select(RateCounter.count).where(RateCounter.key == key, RateCounter.window_start == start)
        )
    return Window(count=count or 0, retry_after=retry_after)
