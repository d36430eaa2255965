"""VectorIndex on qdrant-client: a Qdrant server (url=...), or qdrant-client's local mode
(":memory:" or path=...) which speaks the same API and serves the tests.

The CollectionSpec is stored in the collection metadata under "retex_spec".
"""

from __future__ import annotations

import functools
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import numpy as np
import numpy.typing as npt
from qdrant_client import QdrantClient
from qdrant_client import models as qm
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from indexing._shared import (
    DENSE,
    RRF_K,
    SCROLL_BATCH,
    SPARSE,
    UPSERT_BATCH,
    QueryPlan,
    as_float32,
    batched,
    check_facet_field,
    check_filter,
    check_not_empty,
    dense_list,
    facet_dict,
    match_values,
    plan_query,
    usable_sparse,
)
from indexing.index_types import (
    CollectionSpec,
    DenseVector,
    FacetValue,
    FieldFilter,
    Fusion,
    Hit,
    IndexLockedError,
    IndexModelMismatch,
    IndexPoint,
    IndexUnavailableError,
    SearchMode,
    SparseVector,
    canonical_point_id,
)

META_KEY = "retex_spec"


@dataclass(frozen=True, slots=True)
class ClusterLayout:
    """How a new collection is spread over a Qdrant cluster (None: the server's default, 1).

    Applied when the collection is created; an existing collection keeps its layout."""

    shards: int | None = None
    replicas: int | None = None


def _client_filter(flt: FieldFilter | None) -> qm.Filter | None:
    if flt is None or flt.is_empty():
        return None
    check_filter(flt)
    must: list[qm.Condition] = [
        qm.FieldCondition(key=key, match=qm.MatchAny(any=match_values(values)))
        for key, values in flt.any_of.items()
    ]
    must += [
        qm.FieldCondition(key=key, range=qm.Range(gte=low, lte=high))
        for key, (low, high) in flt.ranges.items()
    ]
    must_not: list[qm.Condition] = [
        qm.FieldCondition(key=key, match=qm.MatchAny(any=match_values(values)))
        for key, values in flt.none_of.items()
        if values
    ]
    return qm.Filter(must=must or None, must_not=must_not or None)


def _client_sparse(sparse: SparseVector) -> qm.SparseVector:
    return qm.SparseVector(indices=list(sparse.indices), values=[float(v) for v in sparse.values])


def _open_client(
    *, url: str | None = None, api_key: str | None = None, path: str | None = None
) -> QdrantClient:
    if path is None:
        return QdrantClient(url=url, api_key=api_key)
    try:
        return QdrantClient(path=path)
    except RuntimeError as exc:
        if "already accessed" in str(exc):
            raise IndexLockedError(path) from exc
        raise


_Method = TypeVar("_Method", bound=Callable[..., Any])
UNAVAILABLE_STATUSES = (502, 503, 504)


@contextmanager
def _server_faults(where: str) -> Iterator[None]:
    """A server that is down, restarting or without a quorum: IndexUnavailableError (transient)."""
    try:
        yield
    except ResponseHandlingException as exc:  # connection refused, timeout, reset
        raise IndexUnavailableError(where, str(exc)[:300]) from exc
    except httpx.TransportError as exc:
        raise IndexUnavailableError(where, str(exc)[:300]) from exc
    except UnexpectedResponse as exc:
        if exc.status_code in UNAVAILABLE_STATUSES:
            raise IndexUnavailableError(where, f"HTTP {exc.status_code}") from exc
        raise


def _translating_faults(method: _Method) -> _Method:
    @functools.wraps(method)
    def wrapper(self: QdrantClientIndex, *args: Any, **kwargs: Any) -> Any:
        with _server_faults(self._where):
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class QdrantClientIndex:
    """Index on a QdrantClient. Closing it closes the client only if it owns it."""

    def __init__(
        self,
        spec: CollectionSpec,
        client: QdrantClient,
        *,
        owns_client: bool = True,
        where: str = "",
        layout: ClusterLayout | None = None,
    ) -> None:
        self._spec = spec
        self._layout = layout or ClusterLayout()
        self._client: QdrantClient | None = client
        self._owns = owns_client
        self._where = where or f"collection {spec.name!r}"
        try:
            self._ensure_collection()
        except BaseException:
            self.close()
            raise

    # ---- constructors ---------------------------------------------------------------------

    @classmethod
    def connect(
        cls,
        spec: CollectionSpec,
        *,
        url: str,
        api_key: str | None = None,
        layout: ClusterLayout | None = None,
    ) -> QdrantClientIndex:
        client = _open_client(url=url, api_key=api_key)
        return cls(spec, client, where=f"{url} ({spec.name})", layout=layout)

    @classmethod
    def local(cls, spec: CollectionSpec, *, path: str) -> QdrantClientIndex:
        """qdrant-client local mode on disk: loads every point in RAM; tests and small data only."""
        return cls(spec, _open_client(path=path), where=path)

    @classmethod
    def in_memory(cls, spec: CollectionSpec) -> QdrantClientIndex:
        return cls(spec, QdrantClient(location=":memory:"), where=":memory:")

    @classmethod
    def drop(cls, name: str, *, url: str, api_key: str | None = None) -> bool:
        client = _open_client(url=url, api_key=api_key)
        try:
            if not client.collection_exists(name):
                return False
            return bool(client.delete_collection(name))
        finally:
            client.close()

    @classmethod
    def read_spec(cls, name: str, *, url: str, api_key: str | None = None) -> CollectionSpec | None:
        client = _open_client(url=url, api_key=api_key)
        try:
            return cls._stored_spec(client, name)
        finally:
            client.close()

    @staticmethod
    def _stored_spec(client: QdrantClient, name: str) -> CollectionSpec | None:
        if not client.collection_exists(name):
            return None
        metadata = client.get_collection(name).config.metadata or {}
        raw = metadata.get(META_KEY)
        return CollectionSpec.from_json(raw) if isinstance(raw, dict) else None

    @_translating_faults
    def _ensure_collection(self) -> None:
        client, spec = self._live(), self._spec
        if not client.collection_exists(spec.name):
            client.create_collection(
                spec.name,
                vectors_config={DENSE: qm.VectorParams(size=spec.dimension, distance=qm.Distance.COSINE)},
                sparse_vectors_config=(
                    {SPARSE: qm.SparseVectorParams(modifier=qm.Modifier.IDF)} if spec.sparse else None
                ),
                metadata={META_KEY: spec.to_json()},
                shard_number=self._layout.shards,
                replication_factor=self._layout.replicas,
            )
            self._create_payload_indexes(set())
            return
        info = client.get_collection(spec.name)
        stored = self._stored_spec(client, spec.name)
        vectors = info.config.params.vectors
        real_dim = vectors[DENSE].size if isinstance(vectors, dict) and DENSE in vectors else None
        if (
            stored is None
            or (stored.model_name, stored.dimension, stored.sparse)
            != (spec.model_name, spec.dimension, spec.sparse)
            or real_dim != spec.dimension
        ):
            raise IndexModelMismatch(stored, spec, self._where)
        self._create_payload_indexes(set(info.payload_schema))
        if stored != spec:
            client.update_collection(spec.name, metadata={META_KEY: spec.to_json()})

    def _create_payload_indexes(self, existing: set[str]) -> None:
        client = self._live()
        wanted = [(f, qm.PayloadSchemaType.KEYWORD) for f in self._spec.keyword_fields]
        wanted += [(f, qm.PayloadSchemaType.INTEGER) for f in self._spec.integer_fields]
        with warnings.catch_warnings():
            # local mode warns that payload indexes have no effect there; a server uses them.
            warnings.simplefilter("ignore", UserWarning)
            for name, schema in wanted:
                if name not in existing:
                    client.create_payload_index(self._spec.name, name, field_schema=schema, wait=True)

    # ---- VectorIndex ----------------------------------------------------------------------

    @property
    def spec(self) -> CollectionSpec:
        return self._spec

    def _live(self) -> QdrantClient:
        if self._client is None:
            raise RuntimeError(f"index {self._spec.name!r} is closed")
        return self._client

    @_translating_faults
    def upsert(self, points: Sequence[IndexPoint]) -> None:
        client = self._live()
        for chunk in batched(points, UPSERT_BATCH):
            structs = []
            for p in chunk:
                vector: dict[str, Any] = {DENSE: dense_list(p.dense, self._spec)}
                sparse = usable_sparse(p.sparse, self._spec)
                if sparse is not None:
                    vector[SPARSE] = _client_sparse(sparse)
                structs.append(
                    qm.PointStruct(id=canonical_point_id(p.point_id), vector=vector, payload=dict(p.payload))
                )
            client.upsert(self._spec.name, points=structs, wait=True)

    @_translating_faults
    def delete_where(self, flt: FieldFilter) -> None:
        check_not_empty(flt, "delete_where")
        selector = qm.FilterSelector(filter=_client_filter(flt))
        self._live().delete(self._spec.name, points_selector=selector, wait=True)

    @_translating_faults
    def delete_ids(self, point_ids: Sequence[str]) -> None:
        client = self._live()
        for chunk in batched([canonical_point_id(i) for i in point_ids], UPSERT_BATCH):
            selector = qm.PointIdsList(points=list(chunk))
            client.delete(self._spec.name, points_selector=selector, wait=True)

    @_translating_faults
    def set_payload_where(self, flt: FieldFilter, payload: Mapping[str, Any]) -> None:
        check_not_empty(flt, "set_payload_where")
        client_filter = _client_filter(flt)
        assert client_filter is not None
        self._live().set_payload(self._spec.name, payload=dict(payload), points=client_filter, wait=True)

    @_translating_faults
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
        plan = plan_query(
            self._spec,
            dense=dense,
            sparse=sparse,
            limit=limit,
            mode=mode,
            fusion=fusion,
            prefetch_limit=prefetch_limit,
        )
        client = self._live()
        if plan.kind == "empty":
            return []
        with_payload: bool | list[str] = True if payload_fields is None else list(payload_fields) or False
        response = self._run(client, plan, _client_filter(flt), with_payload, exact=exact)
        return [Hit(str(p.id), float(p.score), dict(p.payload or {})) for p in response.points]

    def _run(
        self,
        client: QdrantClient,
        plan: QueryPlan,
        flt: qm.Filter | None,
        with_payload: bool | list[str],
        *,
        exact: bool = False,
    ) -> qm.QueryResponse:
        name = self._spec.name
        params = qm.SearchParams(exact=True) if exact else None
        sparse_q = None if plan.sparse is None else _client_sparse(plan.sparse)
        if plan.kind == "hybrid":
            fusion: qm.Query = (
                qm.RrfQuery(rrf=qm.Rrf(k=RRF_K))
                if plan.fusion == "rrf"
                else qm.FusionQuery(fusion=qm.Fusion.DBSF)
            )
            prefetch = [
                qm.Prefetch(
                    query=plan.dense, using=DENSE, filter=flt, limit=plan.prefetch_limit, params=params
                ),
                qm.Prefetch(query=sparse_q, using=SPARSE, filter=flt, limit=plan.prefetch_limit),
            ]
            return client.query_points(
                name, prefetch=prefetch, query=fusion, limit=plan.limit, with_payload=with_payload
            )
        if plan.kind == "dense":
            return client.query_points(
                name,
                query=plan.dense,
                using=DENSE,
                query_filter=flt,
                search_params=params,
                limit=plan.limit,
                with_payload=with_payload,
            )
        return client.query_points(
            name, query=sparse_q, using=SPARSE, query_filter=flt, limit=plan.limit, with_payload=with_payload
        )

    @_translating_faults
    def count(self, flt: FieldFilter | None = None) -> int:
        return int(self._live().count(self._spec.name, count_filter=_client_filter(flt), exact=True).count)

    def warm_payloads(self, fields: Sequence[str], stop: threading.Event | None = None) -> int:
        return 0  # payloads stay on the server: other processes write there too

    def scroll_payloads(
        self, fields: Sequence[str], flt: FieldFilter | None = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        client = self._live()
        scroll_filter = _client_filter(flt)
        with_payload: bool | list[str] = list(fields) if fields else False
        offset: Any = None
        while True:
            with _server_faults(self._where):
                records, offset = client.scroll(
                    self._spec.name,
                    scroll_filter=scroll_filter,
                    limit=SCROLL_BATCH,
                    offset=offset,
                    with_payload=with_payload,
                    with_vectors=False,
                )
            for rec in records:
                yield str(rec.id), dict(rec.payload or {})
            if offset is None:
                return

    @_translating_faults
    def retrieve_payloads(self, point_ids: Sequence[str], fields: Sequence[str]) -> dict[str, dict[str, Any]]:
        client = self._live()
        ids = [canonical_point_id(i) for i in point_ids]
        result: dict[str, dict[str, Any]] = {}
        if not fields:
            return result
        for chunk in batched(ids, SCROLL_BATCH):
            records = client.retrieve(
                self._spec.name, ids=list(chunk), with_payload=list(fields), with_vectors=False
            )
            for rec in records:
                result[str(rec.id)] = dict(rec.payload or {})
        return result

    @_translating_faults
    def retrieve_vectors(self, point_ids: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        client = self._live()
        ids = [canonical_point_id(i) for i in point_ids]
        result: dict[str, npt.NDArray[np.float32]] = {}
        for chunk in batched(ids, SCROLL_BATCH):
            records = client.retrieve(
                self._spec.name, ids=list(chunk), with_payload=False, with_vectors=[DENSE]
            )
            for rec in records:
                if isinstance(rec.vector, dict) and DENSE in rec.vector:
                    result[str(rec.id)] = as_float32(rec.vector[DENSE])  # type: ignore[arg-type]
        return result

    @_translating_faults
    def facet(self, field: str, flt: FieldFilter | None = None, limit: int = 50) -> dict[FacetValue, int]:
        check_facet_field(self._spec, field)
        response = self._live().facet(
            self._spec.name, key=field, facet_filter=_client_filter(flt), limit=limit, exact=True
        )
        return facet_dict((hit.value, int(hit.count)) for hit in response.hits)

    def optimize(self) -> bool:
        # A server optimises in the background and local mode has nothing to build.
        self._live()
        return False

    def flush(self) -> None:
        # Server: acknowledged (wait=True) writes are in its WAL. Local path mode writes each
        # operation to SQLite as it happens.
        self._live()

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._owns:
            client.close()

    def __enter__(self) -> QdrantClientIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
