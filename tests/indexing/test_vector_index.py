"""One behaviour suite run against every VectorIndex implementation."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient

from indexing.edge_index import EdgeIndex
from indexing.index_host import HostServer, IndexHost
from indexing.index_types import (
    CollectionSpec,
    FieldFilter,
    IndexHostAddress,
    IndexLockedError,
    IndexModelMismatch,
    IndexPoint,
    SparseVector,
    stable_point_id,
)
from indexing.qdrant_client_index import QdrantClientIndex
from indexing.remote_index import RemoteIndex
from indexing.vector_index import VectorIndex, drop_index, open_index, stored_spec

REPO = Path(__file__).resolve().parents[2]
DIM = 8
SPEC = CollectionSpec(
    name="passages",
    dimension=DIM,
    sparse=True,
    model_name="test-model",
    keyword_fields=("case_id", "themes", "publication_state"),
    integer_fields=("year",),
)
# Lexical term ids for the ranking tests.
VELO, CANTINE, ECOLE = 11, 22, 33

Opener = Callable[[CollectionSpec], VectorIndex]


def unit(*weights: float) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    v[: len(weights)] = weights
    return v / np.linalg.norm(v)


def point(key: str, dense: np.ndarray, sparse: SparseVector | None = None, **payload: object) -> IndexPoint:
    return IndexPoint(stable_point_id(key), dense, sparse, {"key": key, **payload})


def sp(**terms: float) -> SparseVector:
    ids = {"velo": VELO, "cantine": CANTINE, "ecole": ECOLE}
    pairs = sorted((ids[t], w) for t, w in terms.items())
    return SparseVector([i for i, _ in pairs], [w for _, w in pairs])


def corpus() -> list[IndexPoint]:
    """Dense ranking for query e1: A > B > C > D. Lexical ranking for 'cantine': B > C.
    RRF (k=60) of both: B (ranks 1+0) > C (2+1) > A (0) > D (3)."""
    rows = [  # key, dense, sparse, case_id, themes, year, publication_state
        ("A", unit(1.0), sp(velo=1.0), "c1", ["mobilite"], 2019, "published"),
        ("B", unit(1.0, 0.3), sp(cantine=1.6, ecole=1.0), "c1", ["ecole", "alimentation"], 2021, "published"),
        ("C", unit(1.0, 0.8), sp(cantine=1.0, velo=1.0), "c2", ["alimentation"], 2022, "draft"),
        ("D", unit(0.2, 1.0), None, "c3", ["mobilite", "ecole"], 2024, "published"),
        ("E", unit(0.0, 0.0, 1.0), sp(ecole=1.0), "c3", [], 2015, "archived"),
    ]
    return [
        point(key, dense, sparse, case_id=case, themes=themes, year=year, publication_state=state)
        for key, dense, sparse, case, themes, year, state in rows
    ]


@pytest.fixture(params=["edge", "host", "client-memory", "client-path"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    opened: list[VectorIndex] = []
    shared: list[QdrantClient] = []
    # "host": the embedded index held by an index host (`retex serve --workers N`), reached over its
    # socket, every call and answer pickled as between two processes.
    server = (
        HostServer(IndexHost(tmp_path / "hosted"), str(tmp_path / "host.sock"), b"k")
        if request.param == "host"
        else None
    )
    if server is not None:
        server.start_thread()

    def open_(spec: CollectionSpec) -> VectorIndex:
        index: VectorIndex
        if request.param == "edge":
            index = open_index(spec, path=tmp_path / "edge")
        elif server is not None:
            index = open_index(spec, host=IndexHostAddress(server.address, b"k"))
        elif request.param == "client-memory":
            if not shared:
                shared.append(QdrantClient(location=":memory:"))
            index = QdrantClientIndex(spec, shared[0], owns_client=False)  # reopen = same client
        else:
            index = QdrantClientIndex.local(spec, path=str(tmp_path / "qc"))
        opened.append(index)
        return index

    yield open_
    for index in opened:
        index.close()
    for client in shared:
        client.close()
    if server is not None:
        server.stop()


@pytest.fixture()
def index(opener: Opener) -> VectorIndex:
    idx = opener(SPEC)
    idx.upsert(corpus())
    return idx


def keys(hits: list) -> list[str]:
    return [h.payload["key"] for h in hits]


def test_upsert_is_idempotent_and_replaces_payload(index: VectorIndex) -> None:
    assert index.count() == 5
    index.upsert(corpus())
    assert index.count() == 5
    changed = point("A", unit(1.0), sp(velo=1.0), case_id="c9", themes=["x"], year=2000)
    index.upsert([changed])
    assert index.count() == 5
    payloads = dict(index.scroll_payloads(["case_id", "publication_state"]))
    assert payloads[stable_point_id("A")] == {"case_id": "c9"}  # replaced, not merged


def test_delete_where_and_delete_ids(index: VectorIndex) -> None:
    index.delete_where(FieldFilter(any_of={"case_id": ["c1"]}))
    assert index.count() == 3
    assert index.count(FieldFilter(any_of={"case_id": ["c1"]})) == 0
    index.delete_ids([stable_point_id("E"), stable_point_id("missing")])
    assert sorted(p["key"] for _, p in index.scroll_payloads(["key"])) == ["C", "D"]
    with pytest.raises(ValueError):
        index.delete_where(FieldFilter())


def test_filters(index: VectorIndex) -> None:
    count = index.count
    assert count(FieldFilter(any_of={"themes": ["ecole"]})) == 2  # element of a list field
    assert count(FieldFilter(any_of={"themes": ["ecole", "mobilite"]})) == 3  # values ORed
    both = FieldFilter(any_of={"themes": ["ecole", "mobilite"], "publication_state": ["published"]})
    assert count(both) == 3  # fields ANDed
    assert count(FieldFilter(any_of={"themes": ["alimentation"], "publication_state": ["published"]})) == 1
    assert count(FieldFilter(ranges={"year": (2019, 2022)})) == 3  # inclusive
    assert count(FieldFilter(ranges={"year": (2021, None)})) == 3
    assert count(FieldFilter(ranges={"year": (None, 2019)})) == 2
    assert count(FieldFilter(none_of={"themes": ["mobilite"]})) == 3
    assert count(FieldFilter(none_of={"publication_state": ["draft", "archived"]})) == 3
    assert count(FieldFilter(any_of={"year": [2015, 2024]})) == 2  # integer values
    assert count(FieldFilter(any_of={"themes": []})) == 0
    assert count(FieldFilter(none_of={"themes": []})) == 5
    mixed = FieldFilter(
        any_of={"publication_state": ["published"]},
        ranges={"year": (2020, None)},
        none_of={"case_id": ["c3"]},
    )
    assert keys(index.query(dense=unit(1.0), sparse=None, flt=mixed, limit=10, mode="dense")) == ["B"]


def test_dense_lexical_hybrid_rankings(index: VectorIndex) -> None:
    q_dense, q_sparse = unit(1.0), sp(cantine=1.0)
    dense = index.query(dense=q_dense, sparse=q_sparse, flt=None, limit=4, mode="dense")
    assert keys(dense) == ["A", "B", "C", "D"]
    assert dense[0].score == pytest.approx(1.0, abs=1e-5)  # cosine
    assert keys(index.query(dense=None, sparse=q_sparse, flt=None, limit=10, mode="lexical")) == ["B", "C"]
    hybrid = index.query(dense=q_dense, sparse=q_sparse, flt=None, limit=4, mode="hybrid", fusion="rrf")
    assert keys(hybrid) == ["B", "C", "A", "D"]
    assert hybrid[0].score == pytest.approx(1 / 60 + 1 / 61, rel=1e-4)


def test_exact_search_gives_the_same_ranking_with_and_without_a_filter(index: VectorIndex) -> None:
    flt = FieldFilter(none_of={"case_id": ["c1"]})
    for f in (None, flt):
        approx = index.query(dense=unit(1.0), sparse=None, flt=f, limit=10, mode="dense")
        exact = index.query(dense=unit(1.0), sparse=None, flt=f, limit=10, mode="dense", exact=True)
        assert [(h.point_id, round(h.score, 5)) for h in exact] == [
            (h.point_id, round(h.score, 5)) for h in approx
        ]
    fused = index.query(
        dense=unit(1.0), sparse=sp(cantine=1.0), flt=None, limit=10, fusion="dbsf", exact=True
    )
    assert keys(fused)[0] == "B"


def test_dbsf_fusion(index: VectorIndex) -> None:
    hits = index.query(dense=unit(1.0), sparse=sp(cantine=1.0), flt=None, limit=10, fusion="dbsf")
    assert keys(hits)[0] == "B"  # near the top of both lists
    assert set(keys(hits)) == {"A", "B", "C", "D", "E"}


def test_hybrid_applies_the_filter_to_both_prefetches(index: VectorIndex) -> None:
    flt = FieldFilter(none_of={"case_id": ["c1"]})
    for fusion in ("rrf", "dbsf"):
        hits = index.query(dense=unit(1.0), sparse=sp(cantine=1.0), flt=flt, limit=10, fusion=fusion)
        assert keys(hits)[0] == "C"
        assert {"A", "B"}.isdisjoint(keys(hits))


def test_limit_payload_fields_and_empty_sparse_query(index: VectorIndex) -> None:
    hits = index.query(dense=unit(1.0), sparse=sp(cantine=1.0), flt=None, limit=2, payload_fields=["key"])
    assert [h.payload for h in hits] == [{"key": "B"}, {"key": "C"}]
    empty = SparseVector([], [])
    assert index.query(dense=None, sparse=empty, flt=None, limit=5, mode="lexical") == []
    as_dense = index.query(dense=unit(1.0), sparse=empty, flt=None, limit=4, mode="hybrid")
    assert keys(as_dense) == ["A", "B", "C", "D"]  # only stop words: dense alone
    with pytest.raises(ValueError):
        index.query(dense=None, sparse=empty, flt=None, limit=5, mode="dense")
    with pytest.raises(ValueError):
        index.query(dense=unit(1.0)[:4], sparse=None, flt=None, limit=5, mode="dense")


def test_retrieve_payloads_fetches_only_the_fields_asked(index: VectorIndex) -> None:
    hits = index.query(dense=unit(1.0), sparse=None, flt=None, limit=3, mode="dense", payload_fields=[])
    assert all(h.payload == {} for h in hits)
    found = index.retrieve_payloads(
        [h.point_id for h in hits] + [stable_point_id("missing")], ["key", "year"]
    )
    assert found == {
        h.point_id: {"key": k, "year": y} for h, k, y in zip(hits, "ABC", (2019, 2021, 2022), strict=True)
    }
    assert index.retrieve_payloads([hits[0].point_id], ["nope"]) == {hits[0].point_id: {}}
    assert index.retrieve_payloads([hits[0].point_id], []) == {}
    assert index.retrieve_payloads([], ["key"]) == {}


def test_fields_read_by_queries_follow_every_write(index: VectorIndex) -> None:
    """The embedded index keeps the fields it has read in memory (indexing/payload_cache.py): each kind
    of write must show at once in what queries and retrievals return."""

    def fields() -> dict[str, dict[str, object]]:
        hits = index.query(
            dense=unit(1.0), sparse=None, flt=None, limit=10, mode="dense", payload_fields=["key", "year"]
        )
        return {str(h.payload.get("key")): h.payload for h in hits}

    a = stable_point_id("A")
    # The embedded index (in this process or in the index host) reads all 5 ahead; a Qdrant server
    # keeps its payloads (nothing to warm).
    embedded = isinstance(index, EdgeIndex | RemoteIndex)
    assert index.warm_payloads(["key", "year"]) == (5 if embedded else 0)
    assert fields()["A"] == {"key": "A", "year": 2019}  # read once: now in memory
    assert index.retrieve_payloads([a], ["key", "year"]) == {a: {"key": "A", "year": 2019}}
    index.upsert([point("A", unit(1.0), sp(velo=1.0), case_id="c1", year=2030)])
    assert fields()["A"] == {"key": "A", "year": 2030}
    assert index.retrieve_payloads([a], ["key", "year"]) == {a: {"key": "A", "year": 2030}}
    index.set_payload_where(FieldFilter(any_of={"case_id": ["c1"]}), {"year": 1999})
    assert fields()["A"]["year"] == 1999
    index.delete_where(FieldFilter(any_of={"case_id": ["c1"]}))
    assert "A" not in fields() and index.retrieve_payloads([a], ["key"]) == {}
    index.delete_ids([stable_point_id("C")])
    assert sorted(fields()) == ["D", "E"]


def test_facet_counts(index: VectorIndex) -> None:
    assert index.facet("themes") == {"ecole": 2, "mobilite": 2, "alimentation": 2}
    assert list(index.facet("publication_state")) == ["published", "archived", "draft"]  # count desc
    assert index.facet("publication_state", FieldFilter(ranges={"year": (2020, None)})) == {
        "published": 2,
        "draft": 1,
    }
    assert index.facet("year", limit=2) == {2015: 1, 2019: 1}
    with pytest.raises(ValueError):
        index.facet("key")  # not an indexed field


def test_scroll_payloads_and_retrieve_vectors(index: VectorIndex) -> None:
    rows = dict(index.scroll_payloads(["key", "year"], FieldFilter(any_of={"case_id": ["c3"]})))
    assert rows == {
        stable_point_id("D"): {"key": "D", "year": 2024},
        stable_point_id("E"): {"key": "E", "year": 2015},
    }
    vectors = index.retrieve_vectors([stable_point_id("B"), stable_point_id("nope")])
    assert list(vectors) == [stable_point_id("B")]
    np.testing.assert_allclose(vectors[stable_point_id("B")], unit(1.0, 0.3), atol=1e-6)
    many = [point(f"p{i}", unit(1.0, i / 3000), None, case_id="bulk") for i in range(1100)]
    index.upsert(many)  # several scroll pages and upsert batches
    assert index.count(FieldFilter(any_of={"case_id": ["bulk"]})) == 1100
    assert len(list(index.scroll_payloads(["key"]))) == 1105


def test_set_payload_where(index: VectorIndex) -> None:
    index.set_payload_where(FieldFilter(any_of={"case_id": ["c1"]}), {"publication_state": "unpublished"})
    assert index.facet("publication_state")["unpublished"] == 2
    assert index.count(FieldFilter(any_of={"themes": ["ecole"], "case_id": ["c1"]})) == 1  # other keys kept


def test_reopen_after_close_keeps_data(opener: Opener) -> None:
    index = opener(SPEC)
    index.upsert(corpus())
    index.flush()
    index.close()
    reopened = opener(SPEC)
    assert reopened.count() == 5
    assert keys(reopened.query(dense=unit(1.0), sparse=sp(cantine=1.0), flt=None, limit=1)) == ["B"]


def test_model_or_dimension_mismatch_is_refused(opener: Opener) -> None:
    opener(SPEC).close()
    for other in (
        CollectionSpec(**{**SPEC.to_json(), "model_name": "another-model"}),
        CollectionSpec(**{**SPEC.to_json(), "dimension": 16}),
    ):
        with pytest.raises(IndexModelMismatch, match="retex reindex"):
            opener(other)
    added_field = CollectionSpec(**{**SPEC.to_json(), "keyword_fields": (*SPEC.keyword_fields, "region")})
    index = opener(added_field)  # new payload fields are fine: their index is added
    index.upsert([point("R", unit(1.0), None, region="84")])
    assert index.facet("region") == {"84": 1}


def test_optimize_keeps_results(index: VectorIndex) -> None:
    index.optimize()
    assert index.count() == 5
    assert keys(index.query(dense=unit(1.0), sparse=sp(cantine=1.0), flt=None, limit=4)) == [
        "B",
        "C",
        "A",
        "D",
    ]


def test_closed_index_refuses_calls(opener: Opener) -> None:
    index = opener(SPEC)
    index.close()
    index.close()  # idempotent
    with pytest.raises(RuntimeError):
        index.count()


# ---- embedded engine specifics ------------------------------------------------------------------


def test_edge_second_open_in_same_process_is_locked(tmp_path: Path) -> None:
    with open_index(SPEC, path=tmp_path) as first:
        first.upsert(corpus())
        with pytest.raises(IndexLockedError, match="RETEX_QDRANT_URL"):
            open_index(SPEC, path=tmp_path)
        with pytest.raises(IndexLockedError):
            drop_index(SPEC.name, path=tmp_path)
    with open_index(SPEC, path=tmp_path) as again:  # released by close
        assert again.count() == 5


def test_edge_lock_across_processes(tmp_path: Path) -> None:
    child = _spawn(
        f"""
        from indexing.vector_index import open_index
        idx = open_index(SPEC, path=Path({str(tmp_path)!r}))
        print("open", flush=True)
        sys.stdin.readline()
        """
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "open"
        with pytest.raises(IndexLockedError, match="already open by another process"):
            open_index(SPEC, path=tmp_path)
    finally:
        child.kill()
        child.wait()
    with open_index(SPEC, path=tmp_path) as index:  # the lock died with the process
        assert index.count() == 0


def test_edge_acknowledged_upserts_survive_sigkill(tmp_path: Path) -> None:
    batch = 500
    child = _spawn(
        f"""
        import numpy as np
        from indexing.index_types import IndexPoint, SparseVector, stable_point_id
        from indexing.vector_index import open_index
        idx = open_index(SPEC, path=Path({str(tmp_path)!r}))
        rng = np.random.default_rng(0)
        done = 0
        while True:  # write until killed, never flush
            pts = [
                IndexPoint(stable_point_id(done + i), rng.normal(size={DIM}),
                           SparseVector([1, 2], [1.0, 0.5]), {{"case_id": "k", "year": done + i}})
                for i in range({batch})
            ]
            idx.upsert(pts)
            done += {batch}
            print("acked", done, flush=True)
        """
    )
    acked = 0
    try:
        assert child.stdout is not None
        while acked < 20 * batch:
            line = child.stdout.readline()
            assert line.startswith("acked"), line
            acked = int(line.split()[1])
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    with open_index(SPEC, path=tmp_path) as index:
        total = index.count()
        assert total >= acked  # nothing acknowledged is lost
        assert total % batch == 0  # each upsert is one WAL operation: no partial batch
        assert index.count(FieldFilter(ranges={"year": (0, acked - 1)})) == acked
        assert len(index.retrieve_vectors([stable_point_id(acked - 1)])) == 1


def test_client_local_path_lock(tmp_path: Path) -> None:
    with (
        QdrantClientIndex.local(SPEC, path=str(tmp_path)),
        pytest.raises(IndexLockedError),
    ):
        QdrantClientIndex.local(SPEC, path=str(tmp_path))


def test_drop_index_and_stored_spec(tmp_path: Path) -> None:
    assert stored_spec(SPEC.name, path=tmp_path) is None
    with open_index(SPEC, path=tmp_path) as index:
        index.upsert(corpus())
    assert stored_spec(SPEC.name, path=tmp_path) == SPEC
    other = CollectionSpec(**{**SPEC.to_json(), "model_name": "new-model"})
    with pytest.raises(IndexModelMismatch) as err:
        open_index(other, path=tmp_path)
    assert err.value.stored == SPEC
    assert drop_index(SPEC.name, path=tmp_path) is True
    assert drop_index(SPEC.name, path=tmp_path) is False
    with open_index(other, path=tmp_path) as rebuilt:
        assert rebuilt.count() == 0
    assert isinstance(EdgeIndex.read_spec(tmp_path / SPEC.name), CollectionSpec)


def test_open_index_needs_a_target() -> None:
    with pytest.raises(ValueError):
        open_index(SPEC)


def _spawn(body: str) -> subprocess.Popen[str]:
    prelude = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from indexing.index_types import CollectionSpec
        SPEC = CollectionSpec.from_json({SPEC.to_json()!r})
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", prelude + textwrap.dedent(body)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )
