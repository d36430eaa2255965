"""A disk cache in front of an embedder, so that evaluation runs re-embed nothing they have seen.

Used by `retex eval --cache DIR` (and the bench scripts): each passage and query vector is stored
under the SHA-1 of (model name, kind, text) in one ``.npz`` file per model. The cache is an
experiment tool: the service never uses it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexing.embedder import Embedder, Vector


def _key(model: str, kind: str, text: str) -> str:
    return hashlib.sha1(f"{model}\x00{kind}\x00{text}".encode()).hexdigest()


class DiskCachedEmbedder:
    """Wraps an embedder; `save()` writes the new vectors (call it once at the end of a run)."""

    def __init__(self, inner: Embedder, directory: Path) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.dimension = inner.dimension
        safe = "".join(c if c.isalnum() else "_" for c in inner.model_name)
        self.path = Path(directory) / f"{safe}.npz"
        self._vectors: dict[str, Vector] = {}
        self._dirty = False
        if self.path.is_file():
            with np.load(self.path) as data:
                keys = [str(k) for k in data["keys"]]
                matrix = data["vectors"]
                self._vectors = {k: matrix[i] for i, k in enumerate(keys)}

    def _get_many(self, kind: str, texts: Sequence[str]) -> Vector:
        keys = [_key(self.model_name, kind, t) for t in texts]
        missing = sorted({i for i, k in enumerate(keys) if k not in self._vectors})
        if missing:
            if kind == "passage":
                fresh = self.inner.embed_passages([texts[i] for i in missing])
            else:
                fresh = np.stack([self.inner.embed_query(texts[i]) for i in missing])
            for row, i in enumerate(missing):
                self._vectors[keys[i]] = fresh[row]
            self._dirty = True
        if not keys:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vectors[k] for k in keys]).astype(np.float32)

    def embed_passages(self, texts: Sequence[str]) -> Vector:
        return self._get_many("passage", texts)

    def embed_query(self, text: str) -> Vector:
        return self._get_many("query", [text])[0]

    def save(self) -> None:
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self._vectors)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(keys), vectors=np.stack([self._vectors[k] for k in keys]))
        tmp.replace(self.path)
        self._dirty = False
