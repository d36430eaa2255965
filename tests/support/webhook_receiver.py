"""A partner's webhook receiver, for tests and the bench: an HTTP server on 127.0.0.1 (a free port) in a
thread. It records every request, answers the status it is told, and — like a real receiver — processes
each Retex-Webhook-Id once (a retry of a delivery already processed is answered 200 and ignored).

`hold_first`: the first request blocks after arriving (`arrived` is set) until `release()`, to kill the
sender in the middle of a delivery."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    at: float  # time.monotonic() on arrival
    headers: dict[str, str]
    body: bytes

    @property
    def delivery_id(self) -> str:
        return self.headers["Retex-Webhook-Id"]

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class Receiver:
    def __init__(self, *, status: int = 200, hold_first: bool = False, location: str | None = None) -> None:
        self.status = status
        self.location = location
        self.requests: list[Received] = []
        self.processed: list[Received] = []  # first arrival of each delivery id, processed once
        self.duplicates: list[Received] = []
        self.arrived = threading.Event()
        self._gate = threading.Event()
        if not hold_first:
            self._gate.set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/retex"

    def release(self) -> None:
        self._gate.set()

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            assert time.monotonic() < deadline, f"{len(self.requests)} requests, {count} expected"
            time.sleep(0.01)

    def _receive(self, received: Received) -> int:
        with self._lock:
            first = not self.requests
            self.requests.append(received)
        if first:
            self.arrived.set()
        self._gate.wait()
        with self._lock:
            if received.delivery_id in {r.delivery_id for r in self.processed}:
                self.duplicates.append(received)
                return 200  # already processed: acknowledged, not processed again
            if 200 <= self.status < 300:
                self.processed.append(received)
        return self.status

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                received = Received(time.monotonic(), dict(self.headers.items()), body)
                status = receiver._receive(received)
                try:
                    self.send_response(status)
                    if receiver.location and 300 <= status < 400:
                        self.send_header("Location", receiver.location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender is gone (killed mid-delivery)
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def close(self) -> None:
        self._gate.set()
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def receiver(**options: Any) -> Iterator[Receiver]:
    running = Receiver(**options).start()
    try:
        yield running
    finally:
        running.close()
