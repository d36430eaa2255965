"""Fast tests: the hashing fake, the query cache and the embedder factory (no model loaded)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from indexing.embedder import (
    E5_PASSAGE_PREFIX,
    E5_QUERY_PREFIX,
    Embedder,
    HashingEmbedder,
    QueryCache,
    QueryFirstLock,
    load_embedder,
    normalise_whitespace,
    resolve_prefixes,
)


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b))


def test_hashing_shapes_types_and_norms() -> None:
    emb = HashingEmbedder()
    assert isinstance(emb, Embedder)
    assert emb.dimension == 384
    vectors = emb.embed_passages(["Le conseil municipal a voté le budget.", "Bonjour", ""])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    query = emb.embed_query("budget municipal")
    assert query.shape == (384,)
    assert query.dtype == np.float32
    assert emb.embed_passages([]).shape == (0, 384)


def test_hashing_is_deterministic_across_instances() -> None:
    text = "Dématérialisation des demandes d'état civil"
    a = HashingEmbedder().embed_passages([text])
    b = HashingEmbedder().embed_passages([text])
    np.testing.assert_array_equal(a, b)


def test_hashing_similar_texts_are_closer_than_unrelated() -> None:
    emb = HashingEmbedder()
    base, near, far = emb.embed_passages(
        [
            "La préfecture instruit les demandes de titre de séjour.",
            "Les demandes de titres de séjour sont instruites par la préfecture.",
            "Recette de la tarte aux pommes avec du beurre salé.",
        ]
    )
    assert cos(base, near) > 0.5
    assert cos(base, near) > cos(base, far) + 0.3
    # accents and case do not matter
    accented, plain = emb.embed_passages(["Préfecture ÉCOLE", "prefecture ecole"])
    assert cos(accented, plain) == pytest.approx(1.0, abs=1e-6)


def test_hashing_dimension_parameter() -> None:
    emb = HashingEmbedder(64)
    assert emb.embed_query("x").shape == (64,)
    assert emb.model_name == "hashing:64"
    with pytest.raises(ValueError):
        HashingEmbedder(4)


def test_query_cache_hits_and_lru_eviction() -> None:
    emb = HashingEmbedder(query_cache_size=2)
    first = emb.embed_query("subvention numérique")
    assert (emb.calls, emb.cache_stats().hits, emb.cache_stats().misses) == (1, 0, 1)
    again = emb.embed_query("  subvention   numérique ")  # same query once whitespace is normalised
    assert again is first
    assert (emb.calls, emb.cache_stats().hits) == (1, 1)

    emb.embed_query("marché public")
    emb.embed_query("subvention numérique")  # refreshes it: "marché public" is now the oldest
    emb.embed_query("télétravail")  # evicts "marché public"
    assert emb.cache_stats().size == 2
    calls = emb.calls
    emb.embed_query("subvention numérique")
    assert emb.calls == calls  # still cached
    emb.embed_query("marché public")
    assert emb.calls == calls + 1  # was evicted, recomputed


def test_cached_vectors_equal_fresh_ones_and_are_read_only() -> None:
    emb = HashingEmbedder()
    cached = emb.embed_query("accessibilité")
    cached = emb.embed_query("accessibilité")
    fresh = HashingEmbedder(query_cache_size=0).embed_query("accessibilité")
    np.testing.assert_array_equal(cached, fresh)
    with pytest.raises(ValueError):
        cached[0] = 1.0


def test_cache_size_zero_disables_caching() -> None:
    emb = HashingEmbedder(query_cache_size=0)
    emb.embed_query("a")
    emb.embed_query("a")
    assert emb.calls == 2
    assert emb.cache_stats().size == 0
    assert emb.cache_stats().hits == 0


def test_query_cache_counts_are_consistent_under_threads() -> None:
    emb = HashingEmbedder(query_cache_size=8)
    queries = [f"requête {i % 4}" for i in range(400)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(emb.embed_query, queries))
    stats = emb.cache_stats()
    assert stats.hits + stats.misses == 400
    assert stats.size == 4
    for q, r in zip(queries, results, strict=True):
        np.testing.assert_array_equal(r, HashingEmbedder(query_cache_size=0).embed_query(q))


def test_query_cache_clear_and_validation() -> None:
    cache = QueryCache(maxsize=4)
    cache.put("k", np.zeros(3, dtype=np.float32))
    assert cache.get("k") is not None
    cache.clear()
    assert cache.get("k") is None
    assert cache.stats() == type(cache.stats())(hits=0, misses=1, size=0, maxsize=4)
    with pytest.raises(ValueError):
        QueryCache(-1)


def test_normalise_whitespace() -> None:
    assert normalise_whitespace("  a \t b\n\nc  ") == "a b c"


def test_e5_prefixes_by_name_and_override() -> None:
    e5 = (E5_QUERY_PREFIX, E5_PASSAGE_PREFIX)
    assert resolve_prefixes(["intfloat/multilingual-e5-small"], None, None) == e5
    assert resolve_prefixes(["/var/retex/models/multilingual-e5-small"], None, None) == e5
    assert resolve_prefixes(["packaged:multilingual-e5-small"], None, None) == e5
    assert resolve_prefixes(["sentence-transformers/all-MiniLM-L6-v2"], None, None) == ("", "")
    assert resolve_prefixes(["/models/gte5-base"], None, None) == ("", "")
    assert resolve_prefixes(["multilingual-e5-small"], "", "") == ("", "")
    assert resolve_prefixes(["bge-m3"], "q: ", "d: ") == ("q: ", "d: ")


def test_load_embedder_hashing_and_unknown_packaged(tmp_path: Path) -> None:
    emb = load_embedder("hashing", tmp_path)
    assert isinstance(emb, HashingEmbedder)
    assert emb.dimension == 384
    assert load_embedder("hashing:128", tmp_path).dimension == 128
    with pytest.raises(ValueError, match="packaged"):
        load_embedder("packaged:does-not-exist", tmp_path)
    assert not (tmp_path / "models").exists()  # nothing converted for the fake


def test_query_first_lock_lets_queries_overtake_waiting_batches() -> None:
    lock = QueryFirstLock()
    order: list[str] = []
    release_first = threading.Event()

    def worker(name: str, query: bool, started: threading.Event) -> None:
        started.set()
        with lock.hold(query=query):
            order.append(name)
            if name == "batch-1":
                release_first.wait(5)

    def start(name: str, query: bool) -> threading.Thread:
        started = threading.Event()
        thread = threading.Thread(target=worker, args=(name, query, started))
        thread.start()
        started.wait(5)
        time.sleep(0.05)  # let it reach the wait inside hold()
        return thread

    threads = [start(f"batch-{i}", False) for i in range(1, 5)] + [start("query", True)]
    release_first.set()
    for thread in threads:
        thread.join(5)
    assert order[:2] == ["batch-1", "query"], order
