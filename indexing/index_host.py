"""The process that owns the embedded index when several app processes serve together.

qdrant-edge opens a folder in one process only (its WAL lock), and its calls hold the interpreter
lock. With `retex serve --workers N` on the embedded defaults, one host process opens every
collection and answers the VectorIndex calls of the app processes over a Unix socket
(indexing/remote_index.py), so that the rest of a search (encoders, ranking, database, HTML) runs in
N interpreters on N cores. The host does no embedding and no ranking: only the index calls.

Protocol: one request, one answer, on a `multiprocessing.connection` (pickle framing, HMAC handshake
with a random key given to the app processes by `retex serve`). A request is (operation, collection
name, args, kwargs); the answer is (True, result) or (False, exception). One thread per connection;
the calls serialise on the host's interpreter lock as they would in one process.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from multiprocessing import AuthenticationError
from multiprocessing.connection import Connection, Listener, answer_challenge, deliver_challenge
from pathlib import Path
from typing import Any

from indexing.index_types import CollectionSpec, IndexModelMismatch, VectorIndexError
from indexing.vector_index import VectorIndex, drop_index, open_index, quarantine_index, stored_spec

log = logging.getLogger(__name__)

# The VectorIndex methods an app process may call; `close` is the host's own (it outlives the clients).
INDEX_METHODS = frozenset(
    {
        "upsert",
        "delete_where",
        "delete_ids",
        "set_payload_where",
        "query",
        "count",
        "scroll_payloads",
        "warm_payloads",
        "retrieve_payloads",
        "retrieve_vectors",
        "facet",
        "optimize",
        "flush",
    }
)


class CollectionNotOpen(VectorIndexError):
    """The host has not opened this collection (it was restarted since the client opened it)."""

    def __init__(self, name: str) -> None:
        self._init_args = (name,)
        super().__init__(f"collection {name!r} is not open in the index host")


class IndexHost:
    """The collections of one embedded index folder, opened on first request and shared by every
    client; closed (flushed) when the host stops."""

    def __init__(self, index_path: Path) -> None:
        self.index_path = Path(index_path)
        self._open: dict[str, VectorIndex] = {}
        self._lock = threading.Lock()  # opening, dropping and closing collections
        self._closed = False
        # Every app process warms the same fields at start-up: the host reads them once for all.
        self._warmed: dict[tuple[str, tuple[str, ...]], int] = {}
        self._warm_lock = threading.Lock()

    # ---- collection operations (one per request, by name) -------------------------------

    def open(self, spec: CollectionSpec) -> CollectionSpec:
        with self._lock:
            if self._closed:
                raise VectorIndexError("the index host is stopping")
            index = self._open.get(spec.name)
            if index is not None and index.spec != spec:
                if not index.spec.same_vectors(spec):
                    raise IndexModelMismatch(index.spec, spec, str(self.index_path / spec.name))
                self._close_one(spec.name)  # reopened below: the new payload fields get their index
                index = None
            if index is None:
                index = self._open[spec.name] = open_index(spec, path=self.index_path)
            return index.spec

    def drop(self, name: str) -> bool:
        with self._lock:
            self._close_one(name)
            return drop_index(name, path=self.index_path)

    def quarantine(self, name: str) -> Path | None:
        with self._lock:
            self._close_one(name)
            return quarantine_index(name, path=self.index_path)

    def stored_spec(self, name: str) -> CollectionSpec | None:
        return stored_spec(name, path=self.index_path)

    def call(self, name: str, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if method not in INDEX_METHODS:
            raise VectorIndexError(f"unknown index operation {method!r}")
        index = self._open.get(name)
        if index is None:
            raise CollectionNotOpen(name)
        if method == "warm_payloads":
            return self._warm_once(name, index, *args, **kwargs)
        result = getattr(index, method)(*args, **kwargs)
        if method == "scroll_payloads":  # an iterator cannot cross the socket
            return list(result)
        if method == "query":
            # Plain tuples: pickle writes them in C, while a slotted dataclass goes through Python
            # code per object (a search's 600 candidates cost 4 ms of CPU that way).
            return [(hit.point_id, hit.score, hit.payload) for hit in result]
        return result

    def _warm_once(self, name: str, index: VectorIndex, fields: list[str]) -> int:
        key = (name, tuple(fields))
        with self._warm_lock:  # a second client waits for the first reading rather than reading again
            if key not in self._warmed:
                self._warmed[key] = index.warm_payloads(fields)
            return self._warmed[key]

    def _close_one(self, name: str) -> None:
        self._warmed = {key: n for key, n in self._warmed.items() if key[0] != name}
        index = self._open.pop(name, None)
        if index is not None:
            index.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for name in list(self._open):
                self._close_one(name)

    # ---- serving --------------------------------------------------------------------------

    def handle(self, request: tuple[str, str, tuple[Any, ...], dict[str, Any]]) -> Any:
        operation, name, args, kwargs = request
        if operation == "open":
            return self.open(*args)
        if operation == "drop":
            return self.drop(name)
        if operation == "quarantine":
            return self.quarantine(name)
        if operation == "stored_spec":
            return self.stored_spec(name)
        return self.call(name, operation, args, kwargs)

    def serve_connection(self, conn: Connection) -> None:
        with conn:
            while True:
                try:
                    request = conn.recv()
                except (EOFError, OSError):
                    return  # the client closed its end
                try:
                    answer: tuple[bool, Any] = (True, self.handle(request))
                except Exception as exc:  # the client raises it again
                    answer = (False, exc)
                try:
                    conn.send(answer)
                except (OSError, ValueError):
                    return
                except Exception as exc:  # an answer that does not pickle
                    conn.send((False, VectorIndexError(f"index answer cannot be sent: {exc!r}")))


class HostServer:
    """Accepts connections on `address` and serves each in a thread of its own until `stop()`.

    The key handshake runs in the connection's thread, not in the accept loop: a client that connects
    and stays silent, or fails the handshake, holds up no one else."""

    def __init__(self, host: IndexHost, address: str, authkey: bytes) -> None:
        self.host = host
        self.address = address
        self._authkey = authkey
        if os.path.exists(address):  # left by a host that died: its folder is ours (serve made it)
            os.unlink(address)
        self._listener = Listener(address, family="AF_UNIX")
        os.chmod(address, 0o600)
        self._stopping = threading.Event()
        self._connections: set[Connection] = set()  # closed by stop(), as a host that dies closes them
        self._connections_lock = threading.Lock()

    def serve_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                conn = self._listener.accept()
            except OSError:
                if self._stopping.is_set():
                    return
                log.warning("index host: accept failed", exc_info=True)
                continue
            with self._connections_lock:
                self._connections.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: Connection) -> None:
        try:
            self._handshake_then_serve(conn)
        finally:
            with self._connections_lock:
                self._connections.discard(conn)

    def _handshake_then_serve(self, conn: Connection) -> None:
        try:
            deliver_challenge(conn, self._authkey)
            answer_challenge(conn, self._authkey)
        except (AuthenticationError, EOFError, OSError):
            log.warning("index host: a connection failed the key handshake")
            conn.close()
            return
        self.host.serve_connection(conn)

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="index-host", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stopping.set()
        self._listener.close()
        with self._connections_lock:
            connections, self._connections = self._connections, set()
        for conn in connections:
            _hang_up(conn)
        self.host.close()


def _hang_up(conn: Connection) -> None:
    """End a connection that its thread may be reading: shutdown() wakes that read and tells the client at
    once (close() alone does neither while a read is in progress)."""
    try:
        with socket.fromfd(conn.fileno(), socket.AF_UNIX, socket.SOCK_STREAM) as duplicate:
            duplicate.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed
    conn.close()


def run_host(index_path: Path, address: str, authkey: bytes, until: Callable[[], None]) -> None:
    """Serve until `until()` returns (the parent's pipe closes, a signal), then flush and close."""
    server = HostServer(IndexHost(index_path), address, authkey)
    server.start_thread()
    try:
        until()
    finally:
        server.stop()
