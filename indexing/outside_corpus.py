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
the matrix (shared by every process) and pays one matrix-vector product per query with the query vector
it already computed.
"""

from __future__ import annotations

import argparse
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


@dataclass(frozen=True)
class OutsideCorpus:
    """Title vectors per encoder model name (rows L2-normalised)."""

    vectors: dict[str, Matrix]

    def best_cosine(self, model_name: str, query: npt.NDArray[np.float32] | None) -> float:
        """Best cosine of the query over the titles for that encoder; NaN when either is missing."""
        matrix = self.vectors.get(model_name)
        if matrix is None or query is None or not len(matrix):
            return float("nan")
        return float(np.max(matrix @ query))


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


def build(data_dir: Path, embedder: Embedder, titles_path: Path = TITLES_PATH) -> Path:
    """Embed the titles with `embedder` into the data directory (replaces a previous build)."""
    matrix_path, meta_path = _paths(data_dir, embedder.model_name)
    titles = outside_titles(titles_path)
    log.info("embedding %d outside titles with %s", len(titles), embedder.model_name)
    matrix = embed_titles(embedder, titles)
    matrix_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = matrix_path.with_suffix(".tmp.npy")
    np.save(tmp, matrix)
    tmp.replace(matrix_path)
    meta_path.write_text(json.dumps({"titles_sha1": titles_key(titles_path), "rows": len(titles)}) + "\n")
    return matrix_path


def load(data_dir: Path, model_names: Sequence[str], titles_path: Path = TITLES_PATH) -> OutsideCorpus:
    """The built vectors of these encoders, memory-mapped; an encoder whose vectors are missing or were
    built from other titles is left out (its gate signal is then NaN: it stands at its training mean)."""
    key = titles_key(titles_path)
    vectors: dict[str, Matrix] = {}
    for name in model_names:
        matrix_path, meta_path = _paths(data_dir, name)
        if not (matrix_path.is_file() and meta_path.is_file()):
            log.warning("no outside vectors for %s in %s: run `make install`", name, matrix_path.parent)
            continue
        if json.loads(meta_path.read_text()).get("titles_sha1") != key:
            log.warning("outside vectors for %s are stale (other titles): run `make install`", name)
            continue
        vectors[name] = np.load(matrix_path, mmap_mode="r")
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
