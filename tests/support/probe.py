"""A probe that reads one URL after the other in a process of its own (tests/service/test_abuse_burst.py):
started with multiprocessing's spawn, it imports nothing of the app, and no thread of the test's own
process delays its measurements."""

from __future__ import annotations

import time
from typing import Any

import httpx


def probe_until(base: str, path: str, ready: Any, stop: Any, answers: Any) -> None:
    """Read `path` one request after the other until `stop` (`ready` once the first answered); send back
    (start, seconds, status, start of the body) for each."""
    seen: list[tuple[float, float, int, str]] = []
    with httpx.Client(base_url=base, timeout=30) as client:
        while not stop.is_set():
            began = time.perf_counter()
            response = client.get(path)
            seen.append((began, time.perf_counter() - began, response.status_code, response.text[:200]))
            ready.set()
            time.sleep(0.02)
    answers.send(seen)
