"""Latency of the ranking step per query, fused (before issue 13) vs calibrated, on the dev set.

Usage::

    python bench/ranking_latency.py --cache /tmp/retex-eval-cache

Query vectors come from the cache (the encoders' own cost is printed apart: e5 and USE query
embedding, uncached), so the figures are the index queries plus the ranking's Python.
Prints median and p90 over the 125 needs, three passes, and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexing.case_index import CaseIndexer, SecondOpinion, passages_spec, second_spec  # noqa: E402
from indexing.embedder import load_embedder  # noqa: E402
from indexing.embedding_cache import DiskCachedEmbedder  # noqa: E402
from indexing.eval_runner import corpus_documents  # noqa: E402
from indexing.evaluation import load_corpus, load_queries  # noqa: E402
from indexing.index_types import FieldFilter  # noqa: E402
from indexing.retrieval import RetrievalSettings, Retriever  # noqa: E402
from indexing.second_encoder import UseEmbedder  # noqa: E402
from indexing.vector_index import open_index  # noqa: E402


def summary(name: str, times: list[float]) -> str:
    p90 = times[int(0.9 * len(times))]
    return f"{name:<32} median {statistics.median(times):.1f} ms, p90 {p90:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "retex-eval-cache")
    parser.add_argument("--model-dir", type=Path, default=REPO / "var")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="retex-lat-"))
    subprocess.run(
        [sys.executable, str(REPO / "bench/devset/build_corpus.py"), str(work / "c.jsonl")], check=True
    )
    docs = load_corpus(work / "c.jsonl")
    queries = load_queries(REPO / "bench/devset/queries.jsonl")
    raw_e5 = load_embedder("packaged:multilingual-e5-small", args.model_dir)
    raw_use = UseEmbedder()
    e5 = DiskCachedEmbedder(raw_e5, args.cache)
    use = DiskCachedEmbedder(raw_use, args.cache)
    published = FieldFilter(any_of={"publication_state": ["published"]})
    with (
        open_index(passages_spec(e5), path=work / "index") as index,
        open_index(second_spec(use), path=work / "index") as index2,
    ):
        second = SecondOpinion(use, index2)
        CaseIndexer(e5, index, second).index_cases(corpus_documents(docs))
        for q in queries:  # warm the vector caches
            e5.embed_query(q.text)
            use.embed_query(q.text)
        for name, retriever in (
            ("fused dbsf (before)", Retriever(e5, index, RetrievalSettings(ranking="fused", exact=False))),
            ("calibrated e5 + lexical + USE", Retriever(e5, index, RetrievalSettings(), second=second)),
        ):
            times = []
            for _ in range(3):
                for q in queries:
                    t0 = time.perf_counter()
                    retriever.search(q.text, flt=published, mode="hybrid")
                    times.append(1000 * (time.perf_counter() - t0))
            times.sort()
            print(summary(name, times))
        for name, enc in (("e5 query embedding", raw_e5), ("USE query embedding", raw_use)):
            times = []
            for q in queries[:40]:
                t0 = time.perf_counter()
                enc._embed_query_uncached(q.text)  # type: ignore[attr-defined]
                times.append(1000 * (time.perf_counter() - t0))
            times.sort()
            print(summary(name, times))
    print(f"load average: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
