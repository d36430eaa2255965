"""A collection held by the index host process (indexing/index_host.py), used through the VectorIndex
interface: each call is one request over the host's Unix socket.

Connections are pooled (one per concurrent caller at most) and reused. A host that is gone or
restarting gives IndexUnavailableError, the transient error every caller already treats like a
Qdrant server that does not answer (503 for a search, a retry later for the outbox)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from multiprocessing.connection import Client, Connection
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from indexing.index_host import CollectionNotOpen
from indexing.index_types import (
    CollectionSpec,
    DenseVector,
    FacetValue,
    FieldFilter,
    Fusion,
    Hit,
    IndexHostAddress,
    IndexPoint,
    IndexUnavailableError,
    SearchMode,
    SparseVector,
)


class HostLink:
    """The connections of one process to the index host."""

    def __init__(self, address: str, authkey: bytes) -> None:
        self.address = address
        self._authkey = authkey
        self._idle: list[Connection] = []
        self._lock = threading.Lock()

    def request(self, operation: str, name: str, *args: Any, **kwargs: Any) -> Any:
        """One call; every index operation is idempotent, so a call that met a dead pooled connection
        (the host was restarted since) is sent once more on a new one."""
        conn, pooled = self._take()
        try:
            ok, value = self._exchange(conn, (operation, name, args, kwargs))
        except IndexUnavailableError:
            if not pooled:
                raise
            self.close()  # the other idle connections went with the same host
            conn, _ = self._take()
            ok, value = self._exchange(conn, (operation, name, args, kwargs))
        with self._lock:
            self._idle.append(conn)
        if not ok:
            raise value
        return value

    def _exchange(self, conn: Connection, request: tuple[Any, ...]) -> tuple[bool, Any]:
        try:
            conn.send(request)
            answer: tuple[bool, Any] = conn.recv()
            return answer
        except (EOFError, OSError) as exc:
            conn.close()  # the host stopped: this connection is dead
            raise IndexUnavailableError(f"index host {self.address}", repr(exc)) from exc
        except BaseException:
            conn.close()  # interrupted between send and recv: the answer would reach the wrong caller
            raise

    def _take(self) -> tuple[Connection, bool]:
        """A connection, and whether it was already used (it may be dead)."""
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        try:
            return Client(self.address, family="AF_UNIX", authkey=self._authkey), False
        except (OSError, EOFError) as exc:
            raise IndexUnavailableError(f"index host {self.address}", repr(exc)) from exc

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


_links: dict[IndexHostAddress, HostLink] = {}
_links_lock = threading.Lock()


def host_link(host: IndexHostAddress) -> HostLink:
    """One pool of connections per host for the whole process."""
    with _links_lock:
        link = _links.get(host)
        if link is None:
            link = _links[host] = HostLink(host.address, host.authkey)
        return link


class RemoteIndex:
    """One collection of the index host. `close()` ends this handle only: the host keeps the
    collection open for the other app processes."""

    def __init__(self, spec: CollectionSpec, link: HostLink) -> None:
        self._spec = spec
        self._link = link
        self._closed = False

    @classmethod
    def open(cls, spec: CollectionSpec, link: HostLink) -> RemoteIndex:
        """Open (or create) the collection in the host; IndexModelMismatch as for a local open."""
        return cls(link.request("open", spec.name, spec), link)

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if self._closed:
            raise RuntimeError(f"index {self._spec.name!r} is closed")
        try:
            return self._link.request(method, self._spec.name, *args, **kwargs)
        except CollectionNotOpen:  # a restarted host: open it there again, then call once more
            self._link.request("open", self._spec.name, self._spec)
            return self._link.request(method, self._spec.name, *args, **kwargs)

    @property
    def spec(self) -> CollectionSpec:
        return self._spec

    def upsert(self, points: Sequence[IndexPoint]) -> None:
        self._call("upsert", list(points))

    def delete_where(self, flt: FieldFilter) -> None:
        self._call("delete_where", flt)

    def delete_ids(self, point_ids: Sequence[str]) -> None:
        self._call("delete_ids", list(point_ids))

    def set_payload_where(self, flt: FieldFilter, payload: Mapping[str, Any]) -> None:
        self._call("set_payload_where", flt, dict(payload))

    def query(
        self,
        *,
        dense: DenseVector | None,
        sparse: SparseVector | None,
        flt: FieldFilter | None,
        limit: int,
        mode: SearchMode = "hybrid",
        fusion: Fusion = "rrf",
        prefetch_limit: int = 100,
        payload_fields: Sequence[str] | None = None,
        exact: bool = False,
    ) -> list[Hit]:
        rows: list[tuple[str, float, dict[str, Any]]] = self._call(
            "query",
            dense=dense,
            sparse=sparse,
            flt=flt,
            limit=limit,
            mode=mode,
            fusion=fusion,
            prefetch_limit=prefetch_limit,
            payload_fields=None if payload_fields is None else list(payload_fields),
            exact=exact,
        )
        return [Hit(point_id, score, payload) for point_id, score, payload in rows]

    def count(self, flt: FieldFilter | None = None) -> int:
        return int(self._call("count", flt))

    def scroll_payloads(
        self, fields: Sequence[str], flt: FieldFilter | None = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        return iter(self._call("scroll_payloads", list(fields), flt))

    def warm_payloads(self, fields: Sequence[str], stop: threading.Event | None = None) -> int:
        # The host keeps the payload memory: it warms once for every client (`stop` stays here).
        if stop is not None and stop.is_set():
            return 0
        return int(self._call("warm_payloads", list(fields)))

    def retrieve_payloads(self, point_ids: Sequence[str], fields: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = self._call("retrieve_payloads", list(point_ids), list(fields))
        return found

    def retrieve_vectors(self, point_ids: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        found: dict[str, npt.NDArray[np.float32]] = self._call("retrieve_vectors", list(point_ids))
        return found

    def facet(self, field: str, flt: FieldFilter | None = None, limit: int = 50) -> dict[FacetValue, int]:
        counts: dict[FacetValue, int] = self._call("facet", field, flt, limit)
        return counts

    def optimize(self) -> bool:
        return bool(self._call("optimize"))

    def flush(self) -> None:
        self._call("flush")

    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> RemoteIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def drop_remote(name: str, link: HostLink) -> bool:
    return bool(link.request("drop", name))


def remote_stored_spec(name: str, link: HostLink) -> CollectionSpec | None:
    spec: CollectionSpec | None = link.request("stored_spec", name)
    return spec


def quarantine_remote(name: str, link: HostLink) -> Path | None:
    moved: Path | None = link.request("quarantine", name)
    return moved
