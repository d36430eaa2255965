"""The background loop every outbox shares (index jobs, webhook deliveries, e-mails): a daemon thread
that calls `run_once()` again at once while it finds work, after `poll_seconds` when it finds none (or
sooner on `wake()`), and after a growing pause while it fails (the database away for a while, say):
an error never kills the thread."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from datetime import timedelta

log = logging.getLogger(__name__)

MAX_IDLE_SECONDS = 30.0  # the longest pause after repeated failures


def backoff(attempts: int, *, base: float = 1.0, cap: float = 300.0) -> timedelta:
    """The delay before the next try of an outbox row that failed `attempts` times: base·2^attempts,
    at most `cap` seconds. One formula for every outbox (index jobs; webhook deliveries, with their own
    base and cap: service/webhooks/worker.py)."""
    return timedelta(seconds=min(cap, base * 2**attempts))


class PollingWorker:
    thread_name = "retex-worker"

    def __init__(self, *, poll_seconds: float) -> None:
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Handle one batch; returns how much was handled (0: nothing due)."""
        raise NotImplementedError

    def run_until_idle(self) -> int:
        handled = 0
        while n := self.run_once():
            handled += n
        return handled

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
        self._thread.start()

    def run_until_terminated(self) -> None:
        """Start, then wait in the foreground until SIGTERM or Ctrl-C: for a process of its own (`retex
        worker`, `retex webhooks deliver`). The caller stops it."""
        terminated = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: terminated.set())
        self.start()
        with contextlib.suppress(KeyboardInterrupt):
            terminated.wait()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)

    def _loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                handled = self.run_once()
                failures = 0
            except Exception as exc:  # keep the thread alive, retry later
                failures += 1
                if failures == 1:
                    log.exception("%s: iteration failed; retrying", self.thread_name)
                else:
                    log.warning("%s: still failing (%d): %s", self.thread_name, failures, exc)
                handled = 0
            if not handled:
                wait = self.poll_seconds if not failures else min(MAX_IDLE_SECONDS, 2.0**failures / 2)
                self._wake.wait(wait)
                self._wake.clear()
