"""The index host as a child process of `retex serve --workers N` on the embedded index.

The serving command starts it before the app processes, gives them its socket and key through the
environment (RETEX_INDEX_HOST, RETEX_INDEX_HOST_KEY), and stops it after them. A host that dies is
started again on the same socket (the apps answer 503 meanwhile, then reconnect by themselves; the
collections replay their WAL). The child also stops when the parent dies without a word: it serves
until its standard input, a pipe from the parent, closes."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Client
from pathlib import Path

from indexing.index_types import IndexHostAddress

READY_TIMEOUT = 60.0  # the host only binds its socket: it opens collections when the apps ask
WATCH_SECONDS = 0.5


class IndexHostError(RuntimeError):
    pass


class IndexHostProcess:
    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._watchdog = threading.Thread(
            target=self._restart_when_dead, name="index-host-watch", daemon=True
        )
        self.restarts = 0
        # A private folder (0700) for the socket: short enough for a Unix socket path, closed to others.
        self._dir = Path(tempfile.mkdtemp(prefix="retex-index-"))
        self.address = IndexHostAddress(str(self._dir / "host.sock"), secrets.token_bytes(32))

    def start(self) -> IndexHostAddress:
        self._spawn()
        self._wait_ready()
        self._watchdog.start()
        return self.address

    def _spawn(self) -> None:
        # The key goes through the environment, never the command line (which `ps` shows).
        env = {**os.environ, "RETEX_INDEX_HOST_KEY": self.address.authkey.hex()}
        env.pop("RETEX_INDEX_HOST", None)  # the host opens the folder itself
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "index-host", "--socket", self.address.address],
            stdin=subprocess.PIPE,
            env=env,
        )

    def _restart_when_dead(self) -> None:
        while not self._stopping.wait(WATCH_SECONDS):
            proc = self._proc
            if proc is None or proc.poll() is None:
                continue
            print(
                f"Le processus de l'index s'est arrêté (code {proc.returncode}) : redémarrage.",
                file=sys.stderr,
                flush=True,
            )
            self.restarts += 1
            self._spawn()
            try:
                self._wait_ready()
            except IndexHostError as exc:
                print(f"Erreur : {exc}", file=sys.stderr, flush=True)

    def environment(self) -> dict[str, str]:
        """What the app processes need to reach the host."""
        return {"RETEX_INDEX_HOST": self.address.address, "RETEX_INDEX_HOST_KEY": self.address.authkey.hex()}

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                raise IndexHostError(f"le processus de l'index s'est arrêté au démarrage (code {code})")
            try:
                Client(self.address.address, family="AF_UNIX", authkey=self.address.authkey).close()
                return
            except (OSError, EOFError):
                if time.monotonic() > deadline:
                    raise IndexHostError("le processus de l'index ne répond pas") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """Close its pipe (it flushes and closes every collection), then wait for it."""
        self._stopping.set()
        if self._watchdog.is_alive():
            self._watchdog.join()
        if self._proc is not None:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            try:
                self._proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        shutil.rmtree(self._dir, ignore_errors=True)
