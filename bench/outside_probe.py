"""How often the grouped outside titles (indexing/outside_corpus.py) give the same best cosine as reading
every title, and what each costs, on real queries: the dev-set needs and the HTTP bench's variants.

Usage: .venv/bin/python -m bench.outside_probe [--data-dir var] [--queries 600]
Prints, per number of groups read, the share of queries whose best cosine is the exact one, the largest
difference, and the time per query (one thread)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.http_search import distinct_queries  # noqa: E402
from indexing.outside_corpus import PROBE, load  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("RETEX_DATA_DIR", ROOT / "var")))
    parser.add_argument("--queries", type=int, default=600)
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    from indexing.second_encoder import UseEmbedder

    encoder = UseEmbedder()
    groups = load(args.data_dir, [encoder.model_name]).vectors.get(encoder.model_name)
    if groups is None:
        print(f"no grouped outside vectors in {args.data_dir}: run `make install`", file=sys.stderr)
        return 2
    texts = distinct_queries()[: args.queries]
    vectors = [encoder.embed_query(t) for t in texts]
    print(f"{len(groups.rows):,} titles in {len(groups.centres):,} groups; {len(vectors)} queries")
    with threadpool_limits(1):
        started = time.perf_counter()
        exact = [groups.exact_best_cosine(v) for v in vectors]
        exact_ms = (time.perf_counter() - started) / len(vectors) * 1000
        print(f"every title: {exact_ms:.2f} ms per query")
        for probe in sorted({4, 8, 16, PROBE, 64, 128}):
            started = time.perf_counter()
            found = [groups.best_cosine(v, probe=probe) for v in vectors]
            ms = (time.perf_counter() - started) / len(vectors) * 1000
            diffs = np.abs(np.asarray(found) - np.asarray(exact))
            same = float(np.mean(diffs < 1e-6))
            shipped = "  (shipped)" if probe == PROBE else ""
            print(
                f"{probe:4d} groups: same best cosine for {same:6.1%} of queries, largest difference "
                f"{diffs.max():.4f}, {ms:.2f} ms per query{shipped}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
