"""The vector-index interface of Retex and the function that opens one.

Everything outside `indexing/` goes through this interface: never call qdrant-client or
qdrant-edge directly.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from indexing.index_types import (
    CollectionSpec,
    DenseVector,
    FacetValue,
    FieldFilter,
    Fusion,
    Hit,
    IndexHostAddress,
    IndexPoint,
    SearchMode,
    SparseVector,
)


class VectorIndex(Protocol):
    """One collection of passages with a dense vector, an optional sparse vector and a payload."""

    @property
    def spec(self) -> CollectionSpec: ...

    def upsert(self, points: Sequence[IndexPoint]) -> None:
        """Insert or replace points (idempotent by point_id). Acknowledged = survives a crash."""

    def delete_where(self, flt: FieldFilter) -> None:
        """Delete every point matching a non-empty filter (e.g. all passages of one case)."""

    def delete_ids(self, point_ids: Sequence[str]) -> None:
        """Delete points by id; unknown ids are ignored."""

    def set_payload_where(self, flt: FieldFilter, payload: Mapping[str, Any]) -> None:
        """Merge `payload` keys into the payload of every point matching a non-empty filter."""

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
        """Best `limit` points, filter applied inside the search.

        hybrid: one query, dense and sparse prefetches (each filtered, `prefetch_limit` each)
        fused by RRF (k=60) or DBSF; an empty sparse query degrades to dense.
        dense: cosine only. lexical: sparse with IDF only; empty sparse query -> [].
        payload_fields: None = whole payload, else only these keys.
        exact: dense search by brute force instead of the HNSW graph (same candidates on every
        call; cheap while the filtered collection holds some thousands of passages).
        """
        ...

    def count(self, flt: FieldFilter | None = None) -> int:
        """Exact number of points matching the filter."""
        ...

    def scroll_payloads(
        self, fields: Sequence[str], flt: FieldFilter | None = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """(point_id, {field: value}) for every matching point; absent fields are left out."""
        ...

    def warm_payloads(self, fields: Sequence[str], stop: threading.Event | None = None) -> int:
        """Read `fields` of every point ahead of the searches, where the implementation keeps payload
        fields in memory (the embedded index), until done or `stop` is set; returns the points kept
        (0: nothing to warm)."""
        ...

    def retrieve_payloads(self, point_ids: Sequence[str], fields: Sequence[str]) -> dict[str, dict[str, Any]]:
        """{point_id: {field: value}} for the given points (absent fields left out, unknown ids too).

        Search asks candidates for their filter fields only and fetches heavy fields (a passage's text)
        for the few points it shows."""
        ...

    def retrieve_vectors(self, point_ids: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        """Stored dense vectors (unit-normalised: cosine); unknown ids are left out."""
        ...

    def facet(self, field: str, flt: FieldFilter | None = None, limit: int = 50) -> dict[FacetValue, int]:
        """Exact point counts per value of an indexed field, most frequent first."""
        ...

    def optimize(self) -> bool:
        """Build indexes (HNSW) now. Blocks the whole process with the embedded engine:
        call it from bulk commands (reindex, bench), never while serving requests."""
        ...

    def flush(self) -> None:
        """Make acknowledged writes durable against power loss."""

    def close(self) -> None:
        """Flush and release the index (idempotent)."""

    def __enter__(self) -> VectorIndex: ...

    def __exit__(self, *exc: object) -> None: ...


def open_index(
    spec: CollectionSpec,
    *,
    path: Path | None = None,
    url: str | None = None,
    api_key: str | None = None,
    shards: int | None = None,
    replicas: int | None = None,
    host: IndexHostAddress | None = None,
) -> VectorIndex:
    """Open (creating if needed) the collection `spec.name`.

    url  -> Qdrant server through qdrant-client (several processes may share it);
    host -> the embedded index held by the index host process, shared by the app processes of
            `retex serve --workers N` (indexing/index_host.py);
    path -> embedded qdrant-edge in the folder `path / spec.name` (one process at a time).
    Raises IndexModelMismatch if the stored collection was built with another model or
    dimension, IndexLockedError if the embedded index is already open, IndexCorruptError if the
    embedded folder cannot be read. shards/replicas: layout of a new collection on a Qdrant cluster.
    """
    if url:
        from indexing.qdrant_client_index import ClusterLayout, QdrantClientIndex

        layout = ClusterLayout(shards=shards, replicas=replicas)
        return QdrantClientIndex.connect(spec, url=url, api_key=api_key, layout=layout)
    if host is not None:
        from indexing.remote_index import RemoteIndex, host_link

        return RemoteIndex.open(spec, host_link(host))
    if path is not None:
        from indexing.edge_index import EdgeIndex

        return EdgeIndex.open(spec, Path(path) / spec.name)
    raise ValueError("open_index needs a path (embedded index) or a url (Qdrant server)")


def drop_index(
    name: str,
    *,
    path: Path | None = None,
    url: str | None = None,
    api_key: str | None = None,
    host: IndexHostAddress | None = None,
) -> bool:
    """Delete the collection `name` and all its data (for `retex reindex`). True if it existed.

    The index must not be open (embedded: IndexLockedError if it is; the index host closes it first)."""
    if url:
        from indexing.qdrant_client_index import QdrantClientIndex

        return QdrantClientIndex.drop(name, url=url, api_key=api_key)
    if host is not None:
        from indexing.remote_index import drop_remote, host_link

        return drop_remote(name, host_link(host))
    if path is not None:
        from indexing.edge_index import EdgeIndex

        return EdgeIndex.drop(Path(path) / name)
    raise ValueError("drop_index needs a path (embedded index) or a url (Qdrant server)")


def stored_spec(
    name: str,
    *,
    path: Path | None = None,
    url: str | None = None,
    api_key: str | None = None,
    host: IndexHostAddress | None = None,
) -> CollectionSpec | None:
    """The spec recorded with an existing collection, or None if there is no such collection."""
    if url:
        from indexing.qdrant_client_index import QdrantClientIndex

        return QdrantClientIndex.read_spec(name, url=url, api_key=api_key)
    if host is not None:
        from indexing.remote_index import host_link, remote_stored_spec

        return remote_stored_spec(name, host_link(host))
    if path is not None:
        from indexing.edge_index import EdgeIndex

        return EdgeIndex.read_spec(Path(path) / name)
    raise ValueError("stored_spec needs a path (embedded index) or a url (Qdrant server)")


def quarantine_index(
    name: str,
    *,
    path: Path | None = None,
    url: str | None = None,
    api_key: str | None = None,
    host: IndexHostAddress | None = None,
) -> Path | None:
    """Move a damaged embedded collection aside (see IndexCorruptError); returns where it went.

    A Qdrant server repairs its own storage (replicas): nothing to do for a url."""
    if url:
        return None
    if host is not None:
        from indexing.remote_index import host_link, quarantine_remote

        return quarantine_remote(name, host_link(host))
    if path is None:
        return None
    from indexing.edge_index import EdgeIndex

    return EdgeIndex.quarantine(Path(path) / name)
