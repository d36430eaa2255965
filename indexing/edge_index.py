"""VectorIndex on qdrant-edge-py: Qdrant's engine embedded in the process.

Layout of one collection folder:
    <dir>/retex_spec.json   the CollectionSpec it was built with (checked on open)
    <dir>/.retex.lock       flock held while open (one opener at a time, this process included)
    <dir>/shard/            the qdrant-edge shard (segments + WAL)
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import qdrant_edge as qe

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
    IndexCorruptError,
    IndexLockedError,
    IndexModelMismatch,
    IndexPoint,
    SearchMode,
    SparseVector,
    canonical_point_id,
)
from indexing.payload_cache import PayloadCache

SPEC_FILE = "retex_spec.json"
LOCK_FILE = ".retex.lock"
SHARD_DIR = "shard"
GRAPH_MISSING_LIMIT = 10_000  # points without a graph; below that, brute force over them costs ~1 ms


def _edge_filter(flt: FieldFilter | None) -> qe.Filter | None:
    if flt is None or flt.is_empty():
        return None
    check_filter(flt)
    must: list[Any] = [
        qe.FieldCondition(key, match=qe.MatchAny(match_values(values))) for key, values in flt.any_of.items()
    ]
    must += [
        qe.FieldCondition(
            key,
            range=qe.RangeFloat(
                gte=None if low is None else float(low), lte=None if high is None else float(high)
            ),
        )
        for key, (low, high) in flt.ranges.items()
    ]
    must_not: list[Any] = [
        qe.FieldCondition(key, match=qe.MatchAny(match_values(values)))
        for key, values in flt.none_of.items()
        if values
    ]
    return qe.Filter(must=must or None, must_not=must_not or None)


def _edge_sparse(sparse: SparseVector) -> qe.SparseVector:
    return qe.SparseVector(list(sparse.indices), [float(v) for v in sparse.values])


def _is_wal_lock_error(exc: Exception) -> bool:
    # Only the lock itself: a WAL that fails to open for another reason is a damaged WAL.
    return "WouldBlock" in str(exc)


def _write_spec(directory: Path, spec: CollectionSpec) -> None:
    # Atomic replace: a crash leaves either the old or the new spec, never half a file.
    tmp = directory / (SPEC_FILE + ".tmp")
    tmp.write_text(json.dumps(spec.to_json(), indent=2), encoding="utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, directory / SPEC_FILE)


def _take_lock(directory: Path) -> IO[bytes]:
    fh = open(directory / LOCK_FILE, "a+b")  # noqa: SIM115 - held open for the index lifetime
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise IndexLockedError(str(directory)) from None
    return fh


class EdgeIndex:
    """Embedded index. One open instance per folder; not for several processes."""

    def __init__(self, spec: CollectionSpec, directory: Path, shard: qe.EdgeShard, lock: IO[bytes]) -> None:
        self._spec = spec
        self._dir = directory
        self._shard: qe.EdgeShard | None = shard
        self._lock: IO[bytes] | None = lock
        self._payloads = PayloadCache()

    # ---- opening -------------------------------------------------------------------------

    @classmethod
    def read_spec(cls, directory: Path) -> CollectionSpec | None:
        spec_path = Path(directory) / SPEC_FILE
        if not spec_path.exists():
            return None
        return CollectionSpec.from_json(json.loads(spec_path.read_text(encoding="utf-8")))

    @classmethod
    def open(cls, spec: CollectionSpec, directory: Path) -> EdgeIndex:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        lock = _take_lock(directory)
        try:
            shard = cls._open_shard(spec, directory)
        except BaseException:
            lock.close()
            raise
        index = cls(spec, directory, shard, lock)
        try:
            index._ensure_payload_indexes()
            index._build_missing_graph()
        except BaseException:
            index.close()
            raise
        return index

    @classmethod
    def _open_shard(cls, spec: CollectionSpec, directory: Path) -> qe.EdgeShard:
        shard_dir = directory / SHARD_DIR
        stored = cls.read_spec(directory)
        exists = (shard_dir / "segments").exists()
        if exists and (stored is None or not stored.same_vectors(spec)):
            raise IndexModelMismatch(stored, spec, str(directory))
        try:
            if exists:
                # Passing the config keeps older shards on the current HNSW settings.
                shard = qe.EdgeShard.load(str(shard_dir), cls._config(spec))
            else:
                # Spec first: a crash before the shard exists just means "create again".
                _write_spec(directory, spec)
                shard = qe.EdgeShard.create(str(shard_dir), cls._config(spec))
        except Exception as exc:
            if _is_wal_lock_error(exc):
                raise IndexLockedError(str(directory)) from exc
            if exists:
                raise IndexCorruptError(str(directory), str(exc)[:500]) from exc
            raise
        return shard

    @staticmethod
    def _config(spec: CollectionSpec) -> qe.EdgeConfig:
        sparse = {SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)} if spec.sparse else None
        return qe.EdgeConfig(
            vectors={DENSE: qe.EdgeVectorParams(size=spec.dimension, distance=qe.Distance.Cosine)},
            sparse_vectors=sparse,
            # payload_m=0: no extra HNSW links per payload value. With 9 indexed fields those links
            # made optimize() 7x slower (271 s vs 37 s at 100k) for the same latency; the recall
            # they bring to selective filters comes from ACORN at query time instead (see query()).
            hnsw_config=qe.HnswIndexConfig(m=16, ef_construct=100, full_scan_threshold=10_000, payload_m=0),
            # Deferred points would be invisible until optimize(): we never want that.
            optimizers=qe.EdgeOptimizersConfig(prevent_unoptimized=False),
            wal_enabled=True,  # without the WAL a kill loses acknowledged points (FACTS.md)
            # A query over one segment waits for the shard's search threads while holding the interpreter
            # lock; on 2 cores shared with the encoders one thread served more searches (8 clients: 36 vs
            # 33.5 per second, CPU per search 35.5 vs 38.8 ms).
            max_search_threads=1,
        )

    def _ensure_payload_indexes(self) -> None:
        shard = self._live()
        existing = set(shard.info().payload_schema)
        stored = self.read_spec(self._dir)
        for name in self._spec.keyword_fields:
            if name not in existing:
                shard.update(qe.UpdateOperation.create_field_index(name, qe.PayloadSchemaType.Keyword))
        for name in self._spec.integer_fields:
            if name not in existing:
                schema = qe.IntegerIndexParams(lookup=True, range=True)
                shard.update(qe.UpdateOperation.create_field_index(name, schema))
        if stored != self._spec:
            _write_spec(self._dir, self._spec)

    def _build_missing_graph(self) -> None:
        """qdrant-edge has no background optimizer: points written since the last optimize() sit in a
        segment without an HNSW graph, where even an approximate query reads every vector (100,000
        passages: 12 ms per e5 query instead of 0.3). optimize() holds the interpreter lock for its
        whole run (30 s at 100,000 passages), so it runs here, when the collection opens, before the
        process serves anything, and only when many points lack the graph."""
        info = self._live().info()
        # indexed_vectors_count counts the sparse vectors (all indexed at once) with the dense ones.
        dense_indexed = int(info.indexed_vectors_count) - (int(info.points_count) if self._spec.sparse else 0)
        if int(info.points_count) - dense_indexed >= GRAPH_MISSING_LIMIT:
            self.optimize()

    @classmethod
    def quarantine(cls, directory: Path) -> Path | None:
        """Move a damaged index folder aside (kept for inspection) so that a fresh one can be created."""
        directory = Path(directory)
        if not directory.exists():
            return None
        lock = _take_lock(directory)  # never move an index someone has open
        try:
            stamp = time.strftime("%Y%m%dT%H%M%S")
            target = directory.with_name(f"{directory.name}.damaged-{stamp}-{os.getpid()}")
            os.replace(directory, target)
        finally:
            lock.close()
        return target

    @classmethod
    def drop(cls, directory: Path) -> bool:
        directory = Path(directory)
        if not directory.exists():
            return False
        lock = _take_lock(directory)  # refuses to delete an index someone has open
        try:
            shutil.rmtree(directory)
        finally:
            lock.close()
        return True

    # ---- VectorIndex ----------------------------------------------------------------------

    @property
    def spec(self) -> CollectionSpec:
        return self._spec

    @property
    def directory(self) -> Path:
        return self._dir

    def _live(self) -> qe.EdgeShard:
        if self._shard is None:
            raise RuntimeError(f"index {self._spec.name!r} is closed")
        return self._shard

    def upsert(self, points: Sequence[IndexPoint]) -> None:
        shard = self._live()
        for chunk in batched(points, UPSERT_BATCH):
            edge_points = []
            for p in chunk:
                vector: dict[str, Any] = {DENSE: dense_list(p.dense, self._spec)}
                sparse = usable_sparse(p.sparse, self._spec)
                if sparse is not None:
                    vector[SPARSE] = _edge_sparse(sparse)
                edge_points.append(qe.Point(canonical_point_id(p.point_id), vector, dict(p.payload)))
            shard.update(qe.UpdateOperation.upsert_points(edge_points))
            self._payloads.forget(canonical_point_id(p.point_id) for p in chunk)

    def delete_where(self, flt: FieldFilter) -> None:
        check_not_empty(flt, "delete_where")
        edge_filter = _edge_filter(flt)
        assert edge_filter is not None
        self._live().update(qe.UpdateOperation.delete_points_by_filter(edge_filter))
        self._payloads.forget()

    def delete_ids(self, point_ids: Sequence[str]) -> None:
        shard = self._live()
        for chunk in batched([canonical_point_id(i) for i in point_ids], UPSERT_BATCH):
            shard.update(qe.UpdateOperation.delete_points(list(chunk)))
            self._payloads.forget(chunk)

    def set_payload_where(self, flt: FieldFilter, payload: Mapping[str, Any]) -> None:
        check_not_empty(flt, "set_payload_where")
        edge_filter = _edge_filter(flt)
        assert edge_filter is not None
        self._live().update(qe.UpdateOperation.set_payload_by_filter(edge_filter, dict(payload)))
        self._payloads.forget()

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
        shard = self._live()
        if plan.kind == "empty":
            return []
        if payload_fields is None:  # every field: asked of the engine (diagnostics, small collections)
            request = self._request(plan, _edge_filter(flt), True, exact=exact)
            return [Hit(str(p.id), float(p.score), dict(p.payload or {})) for p in shard.query(request)]
        # Ids and scores from the engine, the fields from memory (indexing/payload_cache.py).
        request = self._request(plan, _edge_filter(flt), False, exact=exact)
        scored = [(str(p.id), float(p.score)) for p in shard.query(request)]
        payloads = self._payload_fields([i for i, _ in scored], payload_fields) if payload_fields else {}
        return [Hit(i, score, payloads.get(i, {})) for i, score in scored]

    @staticmethod
    def _request(
        plan: QueryPlan, edge_filter: qe.Filter | None, with_payload: bool | list[str], *, exact: bool = False
    ) -> qe.QueryRequest:
        dense_q = None if plan.dense is None else qe.Query.Nearest(plan.dense, using=DENSE)
        # ACORN: with a selective filter the HNSW graph (built without payload links) falls apart;
        # ACORN explores 2-hop neighbours instead (recall@10 0.82 -> 1.0 at 100k, p50 +2 ms).
        dense_params = qe.SearchParams(acorn=qe.AcornSearchParams(enable=True)) if edge_filter else None
        if exact:  # brute force: the same candidates on every call
            dense_params = qe.SearchParams(exact=True)
        sparse_q = None if plan.sparse is None else qe.Query.Nearest(_edge_sparse(plan.sparse), using=SPARSE)
        if plan.kind == "hybrid":
            # Any: the stub does not type Fusion.Rrf / Fusion.Dbsf as a scoring query.
            fusion: Any = qe.Fusion.Rrf(k=RRF_K) if plan.fusion == "rrf" else qe.Fusion.Dbsf()
            return qe.QueryRequest(
                limit=plan.limit,
                prefetches=[
                    qe.Prefetch(
                        limit=plan.prefetch_limit, query=dense_q, filter=edge_filter, params=dense_params
                    ),
                    qe.Prefetch(limit=plan.prefetch_limit, query=sparse_q, filter=edge_filter),
                ],
                query=fusion,
                with_payload=with_payload,
                with_vector=False,
            )
        if plan.kind == "dense":
            return qe.QueryRequest(
                limit=plan.limit,
                query=dense_q,
                filter=edge_filter,
                params=dense_params,
                with_payload=with_payload,
                with_vector=False,
            )
        return qe.QueryRequest(
            limit=plan.limit, query=sparse_q, filter=edge_filter, with_payload=with_payload, with_vector=False
        )

    def count(self, flt: FieldFilter | None = None) -> int:
        # exact=True: the estimate can count stale duplicates after a crash (FACTS.md).
        return int(self._live().count(qe.CountRequest(exact=True, filter=_edge_filter(flt))))

    def warm_payloads(self, fields: Sequence[str], stop: threading.Event | None = None) -> int:
        """Read `fields` of every point into memory ahead of the searches (indexing/payload_cache.py):
        a fresh process otherwise pays the engine's payload reads on its first searches (at 100,000
        passages, most of a search's time until the memory has filled). Returns the points kept."""
        pages = self._scroll_pages(fields, None)
        kept = 0
        while stop is None or not stop.is_set():
            generation = self._payloads.generation  # read before the page is: a write meanwhile drops it
            page = next(pages, None)
            if page is None:
                break
            if not self._payloads.store(fields, page, generation):
                break  # full
            kept += len(page)
        return kept

    def scroll_payloads(
        self, fields: Sequence[str], flt: FieldFilter | None = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        for page in self._scroll_pages(fields, flt):
            yield from page.items()

    def _scroll_pages(
        self, fields: Sequence[str], flt: FieldFilter | None
    ) -> Iterator[dict[str, dict[str, Any]]]:
        """{point_id: payload} of the matching points, one engine page at a time (read when asked for)."""
        shard = self._live()
        edge_filter = _edge_filter(flt)
        with_payload: bool | list[str] = list(fields) if fields else False
        offset: Any = None
        while True:
            request = qe.ScrollRequest(
                offset=offset,
                limit=SCROLL_BATCH,
                filter=edge_filter,
                with_payload=with_payload,
                with_vector=False,
            )
            records, offset = shard.scroll(request)
            yield {str(rec.id): dict(rec.payload or {}) for rec in records}
            if offset is None:
                return

    def retrieve_payloads(self, point_ids: Sequence[str], fields: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The fields of the points that exist (shared dicts from memory: do not modify them)."""
        if not fields:
            return {}
        return self._payload_fields([canonical_point_id(i) for i in point_ids], fields)

    def _payload_fields(self, ids: Sequence[str], fields: Sequence[str]) -> dict[str, dict[str, Any]]:
        return self._payloads.get(ids, fields, self._fetch_payloads)

    def _fetch_payloads(self, ids: list[str], fields: list[str]) -> dict[str, dict[str, Any]]:
        shard = self._live()
        result: dict[str, dict[str, Any]] = {}
        for chunk in batched(ids, SCROLL_BATCH):
            for rec in shard.retrieve(list(chunk), with_payload=list(fields), with_vector=False):
                result[str(rec.id)] = dict(rec.payload or {})
        return result

    def retrieve_vectors(self, point_ids: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        shard = self._live()
        ids = [canonical_point_id(i) for i in point_ids]
        result: dict[str, npt.NDArray[np.float32]] = {}
        for chunk in batched(ids, SCROLL_BATCH):
            for rec in shard.retrieve(list(chunk), with_payload=False, with_vector=[DENSE]):
                vectors = rec.vector
                if isinstance(vectors, dict) and DENSE in vectors:
                    result[str(rec.id)] = as_float32(vectors[DENSE])  # type: ignore[arg-type]
        return result

    def facet(self, field: str, flt: FieldFilter | None = None, limit: int = 50) -> dict[FacetValue, int]:
        check_facet_field(self._spec, field)
        request = qe.FacetRequest(field, limit=limit, exact=True, filter=_edge_filter(flt))
        return facet_dict((hit.value, int(hit.count)) for hit in self._live().facet(request))

    def optimize(self) -> bool:
        shard = self._live()
        changed = bool(shard.optimize())
        shard.flush()
        return changed

    def flush(self) -> None:
        self._live().flush()

    def close(self) -> None:
        shard, self._shard = self._shard, None
        try:
            if shard is not None:
                try:
                    shard.flush()
                finally:
                    shard.close()
        finally:
            if self._lock is not None:
                self._lock.close()  # closing the file releases the flock
                self._lock = None

    def __enter__(self) -> EdgeIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
