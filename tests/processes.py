"""Real processes for the fault tests and benchmarks: `retex serve` / `retex worker` started as
subprocesses, and a throw-away PostgreSQL instance on a spare port that a test may stop and restart."""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RetexProcess:
    """One `python -m service.cli <command>` child with the given RETEX_ environment; output to a file."""

    def __init__(self, command: list[str], env: Mapping[str, str], log_path: Path) -> None:
        self.command = command
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> RetexProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child writes to it; closed with it
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", *self.command],
            env=self.env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash or an OOM kill."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self, timeout: float = 30) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        return self.proc.returncode

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)


class AppProcess(RetexProcess):
    """`retex serve` on a spare loopback port."""

    def __init__(self, env: Mapping[str, str], log_path: Path, *extra: str) -> None:
        self.port = free_port()
        super().__init__(["serve", "--host", "127.0.0.1", "--port", str(self.port), *extra], env, log_path)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(f"retex serve exited:\n{self.output()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"retex serve not healthy after {timeout} s:\n{self.output()[-3000:]}")

    def readyz(self) -> dict[str, Any]:
        body: dict[str, Any] = httpx.get(f"{self.base_url}/readyz", timeout=10).json()
        return body

    def wait_converged(self, timeout: float = 120) -> float:
        """Seconds until /readyz reports an empty backlog and as many indexed cases as published."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            index = self.readyz().get("index", {})
            if index.get("consistent"):
                return time.monotonic() - started
            time.sleep(0.1)
        raise TimeoutError(f"index not converged after {timeout} s: {self.readyz()}")


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
    return found[-1].parent


class LocalPostgres:
    """A PostgreSQL instance of our own (initdb in a temp dir, trust auth, loopback, spare port).

    initdb refuses to run as root: as root, the server runs as the `postgres` OS user."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.root = Path(tempfile.mkdtemp(prefix="retex-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")

    def init(self) -> LocalPostgres:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--no-sync", "--locale=C.UTF-8",
        )  # fmt: skip
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            if self.running:
                self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class Importer:
    """Posts numbered case studies through the API with a few concurrent clients, as an import script
    would, and records which ones the server acknowledged (201) and which were in flight when it died."""

    def __init__(self, payload: Callable[[int], dict[str, Any]], total: int, token: str, clients: int = 4):
        self.payload = payload
        self.pending: queue.SimpleQueue[int] = queue.SimpleQueue()
        for i in range(total):
            self.pending.put(i)
        self.headers = {"Authorization": f"Bearer {token}"}
        self.clients = clients
        self.acknowledged: dict[int, int] = {}  # case number -> id returned by the API
        self.unacknowledged: set[int] = set()  # sent, but no answer (the server was killed)
        self.rejected: dict[int, str] = {}  # an answer that was not 201: a bug
        self._lock = threading.Lock()

    def run(self, base_url: str, stop_after: int | None = None, on_stop: Callable[[], None] | None = None):
        """Import until the queue is empty, or until `stop_after` acknowledgements in total, at which
        point `on_stop` runs (e.g. SIGKILL the server) and the clients stop at their next error."""
        stopped = threading.Event()

        def client() -> None:
            with httpx.Client(base_url=base_url, timeout=60) as http:
                while not stopped.is_set():
                    try:
                        i = self.pending.get_nowait()
                    except queue.Empty:
                        return
                    try:
                        response = http.post(
                            "/api/v1/case-studies", json=self.payload(i), headers=self.headers
                        )
                    except httpx.TransportError:
                        with self._lock:
                            self.unacknowledged.add(i)
                        stopped.set()
                        return
                    with self._lock:
                        if response.status_code == 201:
                            self.acknowledged[i] = response.json()["id"]
                        else:
                            self.rejected[i] = f"{response.status_code} {response.text[:200]}"
                        enough = stop_after is not None and len(self.acknowledged) >= stop_after
                        if enough and on_stop and not stopped.is_set():
                            stopped.set()
                            on_stop()

        threads = [threading.Thread(target=client) for _ in range(self.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
