"""Bounded concurrency for expensive work a stranger can trigger (Argon2 password checks, query
embeddings): at most `size` at a time in this process; past it a caller waits a moment and is then
refused with 429 + Retry-After, instead of queueing behind the others and starving every request
of CPU (measured: 32 simultaneous logins kept other reads at 3.2–3.5 s on 2 cores; 2 at a time,
0.1–0.2 s)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from service.api.errors import TooManyRequests

RETRY_AFTER_SECONDS = 2
ADMISSION_POLL_SECONDS = 0.005


def default_size() -> int:
    return max(1, os.cpu_count() or 1)


class Busy(TooManyRequests):
    def __init__(self, message: str) -> None:
        super().__init__(message, retry_after=RETRY_AFTER_SECONDS)


class WorkSlots:
    """A resizable semaphore that refuses quickly."""

    def __init__(
        self, size: int, *, wait_seconds: float, busy_message: str, waiting_per_slot: int | None = None
    ) -> None:
        self.wait_seconds = wait_seconds
        self.busy_message = busy_message
        # None: admitted only while a slot is free (Argon2: 50-100 ms of CPU each, nothing may wait).
        # A number: that many callers per slot may wait their turn (query embeddings: ~5 ms each, so a
        # short bounded queue serves a burst of real users instead of refusing most of them).
        self.waiting_per_slot = waiting_per_slot
        self._cond = threading.Condition()
        self._size = max(1, size)
        self._used = 0
        self._admitted = 0
        self._waiting = 0

    @property
    def size(self) -> int:
        return self._size

    @asynccontextmanager
    async def admission(self) -> AsyncIterator[None]:
        """Early refusal on the event loop, before the request takes a thread or a connection. At most two
        requests per slot are admitted towards it (one working, one next: the slot itself is still taken
        with `hold`). For a kind with a queue, the next ones wait here, on the event loop, where waiting
        costs no thread: a queue that held threads left none for the other requests (a burst of
        searches kept a plain read waiting 1.3 s). Past the queue's bound, or its wait, 429."""
        with self._cond:
            if self._queue_is_full():
                raise Busy(self.busy_message)
            self._waiting += 1
        try:
            deadline = time.monotonic() + self.wait_seconds
            while not self._admit():
                if self.waiting_per_slot is None or time.monotonic() >= deadline:
                    raise Busy(self.busy_message)
                # Polled: the slots outlive any one event loop (an asyncio primitive is bound to one).
                await asyncio.sleep(ADMISSION_POLL_SECONDS)
        finally:
            with self._cond:
                self._waiting -= 1
        try:
            yield
        finally:
            with self._cond:
                self._admitted -= 1

    def _admit(self) -> bool:
        with self._cond:
            free = self._used < self._size if self.waiting_per_slot is None else True
            if free and self._admitted < 2 * self._size:
                self._admitted += 1
                return True
            return False

    def _queue_is_full(self) -> bool:
        """A kind without a queue has no bound here: `_admit` alone decides, at once."""
        if self.waiting_per_slot is None:
            return False
        return self._admitted + self._waiting >= self._size * (1 + self.waiting_per_slot)

    def resize(self, size: int) -> None:
        with self._cond:
            self._size = max(1, size)
            self._cond.notify_all()

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._cond:
            if not self._cond.wait_for(lambda: self._used < self._size, timeout=self.wait_seconds):
                raise Busy(self.busy_message)
            self._used += 1
        try:
            yield
        finally:
            with self._cond:
                self._used -= 1
                self._cond.notify()


# Request-time embeddings (service/search_engine/embedding_slots.py); checked early by the search budget.
QUERY_SLOTS = WorkSlots(
    default_size(),
    wait_seconds=0.5,
    waiting_per_slot=8,
    busy_message="La recherche reçoit beaucoup de demandes en ce moment : réessayez dans quelques secondes.",
)
