"""Request-time embeddings (search queries, duplicate checks, similar cases) are bounded per process:
at most `QUERY_SLOTS.size` at once (RETEX_EMBEDDING_CONCURRENCY, default one per core); past it the
caller is refused with 429 + Retry-After instead of queueing on the CPU behind everyone else. The
index worker embeds through the unbounded embedder (its work must not be refused)."""

from __future__ import annotations

from collections.abc import Sequence

from indexing.embedder import Embedder, Vector
from service.ratelimit.slots import QUERY_SLOTS, WorkSlots


class BoundedEmbedder:
    """The same embedder, each call holding a slot of `slots`."""

    def __init__(self, inner: Embedder, slots: WorkSlots = QUERY_SLOTS) -> None:
        self.inner = inner
        self.slots = slots
        self.model_name = inner.model_name
        self.dimension = inner.dimension

    def embed_passages(self, texts: Sequence[str]) -> Vector:
        with self.slots.hold():
            return self.inner.embed_passages(texts)

    def embed_query(self, text: str) -> Vector:
        with self.slots.hold():
            return self.inner.embed_query(text)

    def __getattr__(self, name: str) -> object:  # cache_stats, max_seq_length…
        return getattr(self.inner, name)
