"""Query embedding latency with one torch thread per query (the default) against torch's default
thread count, interleaved in the same process so both see the same machine load.

Usage: .venv/bin/python -m bench.query_threads [--rounds 2]
Prints p50/p95 in ms per setting and the load average; the real model from var/models is used.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--model-dir", type=Path, default=ROOT / "var" / "models" / "multilingual-e5-small")
    args = parser.parse_args()

    from indexing.embedder import SentenceTransformerEmbedder

    lines = (ROOT / "bench" / "devset" / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    queries = [json.loads(line)["text"] for line in lines if line.strip()]
    settings = {"1 thread": 1, "torch default": None}
    embedders = {
        label: SentenceTransformerEmbedder(str(args.model_dir), query_threads=threads, query_cache_size=1)
        for label, threads in settings.items()
    }
    n = 0
    for round_ in range(args.rounds):
        for label, embedder in embedders.items():
            times = []
            for query in queries:
                n += 1
                started = time.perf_counter()
                embedder.embed_query(f"{query} ({n})")  # a new text each time: never cached
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            p50, p95 = times[len(times) // 2], times[int(len(times) * 0.95)]
            print(f"round {round_ + 1} {label:14}: p50={p50:6.1f} ms  p95={p95:6.1f} ms  (n={len(times)})")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
