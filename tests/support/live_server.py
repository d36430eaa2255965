"""The real app served by uvicorn on a free loopback port (browser tests, the API guide's examples)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.web import drain


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """The app under uvicorn, on 127.0.0.1, index drained; yields its base URL. The TestClient context
    runs the app's lifespan (search engine, territory index) once; uvicorn serves the same app without
    re-running it (the embedded index opens in one place only)."""
    with TestClient(app):
        drain(app)
        runtime = getattr(app.state, "territory_index", None)
        if runtime is not None:
            runtime.wait_ready(120)
        port = _free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", access_log=False
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="uvicorn-live", daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(15)
