"""What the collection does not cover: ordinary municipal subjects to compare a query with.

Retex's collection is about digital projects; the needs it cannot answer are mostly ordinary municipal
subjects it only neighbours (cemetery concessions, snow clearing, twinning), and how close the encoders
get to the collection alone does not tell "covered" from "neighboured". The titles of the non-digital
projects communes actually had funded (DGCL investment grants, about 80,000:
seeds/outside_titles_extract.py) stand for the rest of municipal life: a query the collection does not
cover tends to come closer to one of them, for the second encoder (USE, whose cosines spread wide), than
its covered peers do. The near-miss gate reads that best cosine (``second_outside`` in
relevance.GATE_INPUTS; ``outside`` is e5's, measured and not used: bench/relevance_report.md).

The titles are embedded once per encoder by ``python -m indexing.outside_corpus DATA_DIR`` (`make
install`, after the model export: a few minutes) into DATA_DIR/models/outside/; the search memory-maps
the matrix (shared by every process) and reuses the query vector it already computed.

Only the best cosine matters, so the titles are grouped at build time (spherical k-means, COARSE
groups, rows stored group by group) and a query reads the PROBE groups whose centres are closest: a
product with all 80,000 rows read 165 MB per query (8 ms and 16 ms of CPU on 2 cores, as much as the
rest of a search), the probe about 5 MB (bench/outside_probe.py prints how often it finds the same
best cosine).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from indexing.embedder import Embedder

log = logging.getLogger(__name__)

Matrix = npt.NDArray[np.float32]
BATCH = 256
TITLES_PATH = Path(__file__).with_name("outside_titles.txt.gz")
SUBDIR = Path("models") / "outside"  # under the data directory, next to the converted models


COARSE = 1024  # groups of titles (about 80 titles each)
PROBE = 64  # groups read per query (bench/outside_probe.py: the same best cosine for 90 % of queries)
KMEANS_ROUNDS = 6
FORMAT = 2  # 2: rows stored group by group, with their centres (1: one flat matrix)


@dataclass(frozen=True)
class TitleGroups:
    """Title vectors (rows L2-normalised) stored group by group: group g is rows[offsets[g]:offsets[g+1]]."""

    rows: Matrix
    centres: Matrix
    offsets: npt.NDArray[np.int64]

    def best_cosine(self, query: npt.NDArray[np.float32], probe: int = PROBE) -> float:
        # stable: the same groups on every call
        closest: list[int] = np.argsort(-(self.centres @ query), kind="stable")[:probe].tolist()
        offsets = self._bounds
        best = -1.0
        for g in closest:  # plain ints and the array's own max: this loop runs 64 times per search
            start, end = offsets[g], offsets[g + 1]
            if end > start:
                best = max(best, float((self.rows[start:end] @ query).max()))
        return best

    @functools.cached_property
    def _bounds(self) -> list[int]:
        return [int(o) for o in self.offsets]

    def exact_best_cosine(self, query: npt.NDArray[np.float32]) -> float:
        return float(np.max(self.rows @ query)) if len(self.rows) else -1.0


@dataclass(frozen=True)
class OutsideCorpus:
    """Title groups per encoder model name."""

    vectors: dict[str, TitleGroups]

    def best_cosine(self, model_name: str, query: npt.NDArray[np.float32] | None) -> float:
        """Best cosine of the query over the titles for that encoder; NaN when either is missing."""
        groups = self.vectors.get(model_name)
        if groups is None or query is None or not len(groups.rows):
            return float("nan")
        return groups.best_cosine(query)


def group_titles(matrix: Matrix, groups: int = COARSE, rounds: int = KMEANS_ROUNDS) -> TitleGroups:
    """Spherical k-means (deterministic: the first centres are evenly spaced rows), then the rows
    reordered group by group."""
    n = len(matrix)
    k = max(1, min(groups, n))
    centres = matrix[np.linspace(0, n - 1, k).astype(np.int64)].copy()
    assigned = np.zeros(n, dtype=np.int64)
    for _ in range(rounds):
        for start in range(0, n, 8192):
            assigned[start : start + 8192] = np.argmax(matrix[start : start + 8192] @ centres.T, axis=1)
        sums = np.zeros_like(centres)
        np.add.at(sums, assigned, matrix)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        filled = norms[:, 0] > 0
        centres[filled] = sums[filled] / norms[filled]  # an emptied group keeps its centre
    order = np.argsort(assigned, kind="stable")
    counts = np.bincount(assigned, minlength=k)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return TitleGroups(np.ascontiguousarray(matrix[order]), centres.astype(np.float32), offsets)


def outside_titles(path: Path = TITLES_PATH) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def titles_key(path: Path = TITLES_PATH) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


def embed_titles(embedder: Embedder, titles: Sequence[str]) -> Matrix:
    parts = [embedder.embed_passages(titles[i : i + BATCH]) for i in range(0, len(titles), BATCH)]
    return np.vstack(parts).astype(np.float32) if parts else np.zeros((0, embedder.dimension), np.float32)


def _paths(data_dir: Path, model_name: str) -> tuple[Path, Path]:
    safe = "".join(c if c.isalnum() else "_" for c in model_name)
    base = data_dir / SUBDIR / safe
    return base.with_suffix(".npy"), base.with_suffix(".json")


def _groups_path(matrix_path: Path) -> Path:
    return matrix_path.with_suffix(".groups.npz")


def build(data_dir: Path, embedder: Embedder, titles_path: Path = TITLES_PATH) -> Path:
    """Embed the titles with `embedder` into the data directory (replaces a previous build)."""
    matrix_path, meta_path = _paths(data_dir, embedder.model_name)
    key = titles_key(titles_path)
    if _meta(meta_path).get("titles_sha1") == key and matrix_path.is_file():
        matrix = np.load(matrix_path)  # embedded already (an earlier format): group it only
    else:
        titles = outside_titles(titles_path)
        log.info("embedding %d outside titles with %s", len(titles), embedder.model_name)
        matrix = embed_titles(embedder, titles)
    grouped = group_titles(matrix)
    matrix_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = matrix_path.with_suffix(".tmp.npy")
    np.save(tmp, grouped.rows)
    tmp.replace(matrix_path)
    tmp_groups = matrix_path.with_suffix(".tmp.npz")
    np.savez(tmp_groups, centres=grouped.centres, offsets=grouped.offsets)
    tmp_groups.replace(_groups_path(matrix_path))
    # Written last: its presence says the matrix and its groups are complete and of these titles.
    meta_path.write_text(json.dumps({"titles_sha1": key, "rows": len(matrix), "format": FORMAT}) + "\n")
    return matrix_path


def _meta(meta_path: Path) -> dict[str, object]:
    try:
        found = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def load(data_dir: Path, model_names: Sequence[str], titles_path: Path = TITLES_PATH) -> OutsideCorpus:
    """The built vectors of these encoders, memory-mapped; an encoder whose vectors are missing or were
    built from other titles is left out (its gate signal is then NaN: it stands at its training mean)."""
    key = titles_key(titles_path)
    vectors: dict[str, TitleGroups] = {}
    for name in model_names:
        matrix_path, meta_path = _paths(data_dir, name)
        meta = _meta(meta_path)
        if not (matrix_path.is_file() and _groups_path(matrix_path).is_file() and meta):
            log.warning("no outside vectors for %s in %s: run `make install`", name, matrix_path.parent)
            continue
        if meta.get("titles_sha1") != key or meta.get("format") != FORMAT:
            log.warning("outside vectors for %s are stale (other titles or format): run `make install`", name)
            continue
        with np.load(_groups_path(matrix_path)) as groups:
            centres, offsets = groups["centres"], groups["offsets"]
        vectors[name] = TitleGroups(np.load(matrix_path, mmap_mode="r"), centres, offsets)
    return OutsideCorpus(vectors)


def main() -> None:
    parser = argparse.ArgumentParser(description="Embed the outside titles (near-miss gate) once.")
    parser.add_argument("data_dir", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    from indexing.second_encoder import UseEmbedder

    print(f"outside vectors written to {build(args.data_dir, UseEmbedder(threads=2))}")


if __name__ == "__main__":
    main()
