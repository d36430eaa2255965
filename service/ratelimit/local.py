"""Fixed-window counters in this process's memory, for the anonymous read budget (every API request
without a key): same windows and the same `Window` answer as the database counters
(service/ratelimit/counters.py), without a database write per request. With several app processes
each has its own budget. Budgets of costly work (searches, mails, passwords) count in the database."""

from __future__ import annotations

import threading
import time

from service.ratelimit.counters import Window, window_bounds

_MAX_KEYS = 100_000  # past this, windows that have ended are dropped


class LocalCounters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int], int] = {}

    def hit(self, key: str, *, window_seconds: int, now: float | None = None) -> Window:
        now = time.time() if now is None else now
        start, retry_after = window_bounds(window_seconds, now)
        with self._lock:
            if len(self._counts) > _MAX_KEYS:
                self._counts = {k: v for k, v in self._counts.items() if k[1] + window_seconds > now}
            count = self._counts.get((key, start), 0) + 1
            self._counts[(key, start)] = count
        return Window(count=count, retry_after=retry_after)


LOCAL = LocalCounters()
