"""The Python client's retry on a real 429: a `retex serve` of its own (loopback, empty SQLite database,
hashing embedder) with an anonymous budget of two reads a minute. The quota counts in fixed windows of
60 s, so the server's Retry-After is the time left in the window: the test spends the budget a few
seconds before the window ends, and the client waits that long, then gets its answer in the next one."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from retex_client import RateLimitedError, RetexClient

from tests.processes import AppProcess

pytestmark = pytest.mark.nodb  # its own server and database: the PostgreSQL pass need not repeat it

BUDGET = 2
WINDOW = 60


def _left_in_window() -> float:
    return WINDOW - time.time() % WINDOW


def _spend_budget(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        statuses = [http.get("/api/v1/themes").status_code for _ in range(BUDGET + 1)]
    assert statuses[-1] == 429, statuses


def test_a_real_429_is_retried_after_its_retry_after(tmp_path: Path) -> None:
    env = {
        "RETEX_DATABASE_URL": f"sqlite:///{tmp_path / 'retex.sqlite3'}",
        "RETEX_DATA_DIR": str(tmp_path / "data"),
        "RETEX_MODEL": "hashing",
        "RETEX_EMAIL_SENDER": "false",
        "RETEX_ANONYMOUS_READS_PER_MINUTE": str(BUDGET),
    }
    app = AppProcess(env, tmp_path / "app.log").start()
    try:
        app.wait_healthy()
        # Asked to wait longer than it may: raised at once, with the server's delay and French message.
        if _left_in_window() < 5:
            time.sleep(_left_in_window() + 0.1)
        _spend_budget(app.base_url)
        started = time.monotonic()
        with (
            pytest.raises(RateLimitedError) as refused,
            RetexClient(app.base_url, max_retry_wait=0.5) as quick,
        ):
            quick.list_themes()
        assert time.monotonic() - started < 0.5
        assert refused.value.retry_after is not None and refused.value.retry_after >= 1
        assert "sans clé d'API" in refused.value.detail

        # A few seconds before the window ends: the client waits what Retry-After says, then succeeds.
        time.sleep(max(0.0, _left_in_window() - 4))
        _spend_budget(app.base_url)
        waits: list[float] = []

        def sleep(seconds: float) -> None:
            waits.append(seconds)
            time.sleep(seconds)

        started = time.monotonic()
        with RetexClient(app.base_url, max_retry_wait=10, sleep=sleep) as patient:
            themes = patient.list_themes()
        elapsed = time.monotonic() - started
        assert themes == []  # an empty database: no theme, but a 200
        assert len(waits) == 1 and 1 <= waits[0] <= 5, waits
        assert elapsed >= waits[0]
    finally:
        app.stop()
    print(f"429 retried after Retry-After {waits[0]:.0f} s; answered in {elapsed:.2f} s")
