"""Scale benchmark of Retex's vector index: qdrant-edge (embedded) vs qdrant-client local mode.

    .venv/bin/python bench/index_scale.py [--sizes 10000,100000,1000000] [--engines edge,client]

Synthetic passages: 384-dim unit vectors around 256 clusters, sparse vectors over a Zipf vocabulary
(50k terms, partly cluster-specific), payloads shaped like Retex's. Every phase runs in a fresh
worker process so that RSS and reopen times are not polluted by earlier phases:

  build    ingest (upsert time only, batches of 1,000), then 200 queries on the fresh index
  serve    reopen after a clean close, then the queries again (what a restarted web process sees)
  optimize (edge only) optimize() = build HNSW + payload indexes, then `serve` again

Queries: hybrid = dense + sparse prefetches (100 each) fused by RRF, filtered on
publication_state=published AND one theme; dense = dense only, same filter; dense-nf = no filter.
Latencies include the Python wrapper (conversion of vectors, filters and hits).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexing.index_types import CollectionSpec, FieldFilter, IndexPoint, SparseVector  # noqa: E402
from indexing.vector_index import VectorIndex, open_index  # noqa: E402

DIM = 384
CLUSTERS = 256
VOCAB = 50_000
DOC_TOKENS = 60
BATCH = 1_000
THEMES = [f"theme-{i:02d}" for i in range(20)]
BANDS = ["<2k", "2k-10k", "10k-50k", "50k-100k", "100k-500k", ">500k"]
STATES = ["published", "draft", "archived"]
SPEC = CollectionSpec(
    name="passages",
    dimension=DIM,
    sparse=True,
    model_name="bench-synthetic-384",
    keyword_fields=(
        "case_id",
        "themes",
        "territory_codes",
        "departement",
        "region",
        "population_band",
        "status",
        "publication_state",
    ),
    integer_fields=("year",),
)
GOALS = {"hybrid_p95_ms": {100_000: 50.0, 1_000_000: 100.0}, "reopen_s": {100_000: 15.0}}


# ---- synthetic data ---------------------------------------------------------------------------


def _centroids() -> np.ndarray:
    c = np.random.default_rng(7).normal(size=(CLUSTERS, DIM)).astype(np.float32)
    return c / np.linalg.norm(c, axis=1, keepdims=True)


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _terms(rng: np.random.Generator, clusters: np.ndarray, n_tokens: int) -> np.ndarray:
    """Zipf-ranked tokens; the second half is shifted per cluster (topic words)."""
    ranks = np.minimum(rng.zipf(1.15, size=(len(clusters), n_tokens)), VOCAB) - 1
    half = n_tokens // 2
    ranks[:, half:] = (ranks[:, half:] + clusters[:, None] * 131) % VOCAB
    return ranks


def generate(size: int, start: int, count: int) -> list[IndexPoint]:
    rng = np.random.default_rng([size, start])
    centroids = _centroids()
    clusters = rng.integers(0, CLUSTERS, count)
    dense = _unit(centroids[clusters] + rng.normal(scale=1.0 / np.sqrt(DIM), size=(count, DIM)))
    tokens = _terms(rng, clusters, DOC_TOKENS)
    theme_p = 1.0 / np.arange(1, len(THEMES) + 1)
    theme_p /= theme_p.sum()
    points = []
    for j in range(count):
        i = start + j
        ids, tf = np.unique(tokens[j], return_counts=True)
        weights = tf * 2.2 / (tf + 1.2)
        dep = int(rng.integers(1, 96))
        themes = rng.choice(len(THEMES), size=int(rng.integers(1, 4)), replace=False, p=theme_p)
        payload: dict[str, Any] = {
            "case_id": f"case-{i // 8}",
            "themes": [THEMES[t] for t in themes],
            "territory_codes": [f"{dep:02d}{int(rng.integers(1, 700)):03d}"],
            "departement": f"{dep:02d}",
            "region": f"R{dep % 18:02d}",
            "population_band": BANDS[int(rng.integers(0, len(BANDS)))],
            "status": ["en_cours", "termine", "abandonne"][int(rng.integers(0, 3))],
            "year": int(rng.integers(2010, 2027)),
            "publication_state": STATES[int(rng.choice(3, p=[0.8, 0.15, 0.05]))],
        }
        sparse = SparseVector(ids.tolist(), weights.tolist())
        points.append(IndexPoint(str(uuid.UUID(int=i + 1)), dense[j], sparse, payload))
    return points


def queries(n: int) -> list[tuple[np.ndarray, SparseVector, FieldFilter]]:
    rng = np.random.default_rng(12345)
    clusters = rng.integers(0, CLUSTERS, n)
    dense = _unit(_centroids()[clusters] + rng.normal(scale=1.0 / np.sqrt(DIM), size=(n, DIM)))
    tokens = _terms(rng, clusters, 6)
    out = []
    for j in range(n):
        ids = sorted(set(tokens[j, 2:].tolist()))  # mostly topic words
        flt = FieldFilter(any_of={"publication_state": ["published"], "themes": [THEMES[j % len(THEMES)]]})
        out.append((dense[j], SparseVector(ids, [1.0] * len(ids)), flt))
    return out


# ---- measurements -----------------------------------------------------------------------------


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def disk_mb(path: Path) -> float:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            total += os.stat(os.path.join(root, name)).st_blocks * 512  # allocated, not apparent
    return total / 2**20


def open_bench_index(engine: str, path: Path) -> VectorIndex:
    if engine == "edge":
        return open_index(SPEC, path=path)
    from indexing.qdrant_client_index import QdrantClientIndex

    return QdrantClientIndex.local(SPEC, path=str(path))


def time_queries(index: VectorIndex, n: int, budget_s: float) -> dict[str, Any]:
    """p50/p95 in ms per query kind; stops a kind early when it exceeds budget_s."""
    qs = queries(n)
    kinds: dict[str, dict[str, Any]] = {
        "hybrid": {"mode": "hybrid", "filtered": True},
        "dense": {"mode": "dense", "filtered": True},
        "dense_nf": {"mode": "dense", "filtered": False},
    }
    result: dict[str, Any] = {}
    for kind, how in kinds.items():
        for dense, sparse, flt in qs[:3]:  # warm-up
            index.query(dense=dense, sparse=sparse, flt=flt, limit=10, mode=how["mode"])
        samples: list[float] = []
        hits = 0
        started = time.perf_counter()
        for dense, sparse, flt in qs:
            t0 = time.perf_counter()
            found = index.query(
                dense=dense, sparse=sparse, flt=flt if how["filtered"] else None, limit=10, mode=how["mode"]
            )
            samples.append((time.perf_counter() - t0) * 1000)
            hits += len(found)
            if time.perf_counter() - started > budget_s:
                break
        arr = np.array(samples)
        result[kind] = {
            "p50": float(np.percentile(arr, 50)),
            "p95": float(np.percentile(arr, 95)),
            "n": len(samples),
            "avg_hits": hits / len(samples),
        }
    return result


def worker(args: argparse.Namespace) -> dict[str, Any]:
    path = Path(args.dir)
    out: dict[str, Any] = {"engine": args.engine, "size": args.size, "phase": args.phase}
    if args.phase == "build":
        index = open_bench_index(args.engine, path)
        spent = 0.0
        for start in range(0, args.size, BATCH):
            batch = generate(args.size, start, min(BATCH, args.size - start))
            t0 = time.perf_counter()
            index.upsert(batch)
            spent += time.perf_counter() - t0
        out["ingest_s"] = spent
        out["ingest_per_s"] = args.size / spent
        assert index.count() == args.size, index.count()
        out["queries"] = time_queries(index, args.queries, args.budget)
        out["rss_mb"], out["peak_rss_mb"] = rss_mb()
        t0 = time.perf_counter()
        index.close()
        out["close_s"] = time.perf_counter() - t0
    elif args.phase == "optimize":
        index = open_bench_index(args.engine, path)
        t0 = time.perf_counter()
        index.optimize()
        out["optimize_s"] = time.perf_counter() - t0
        out["rss_mb"], out["peak_rss_mb"] = rss_mb()
        index.close()
    else:  # serve
        base_rss, _ = rss_mb()
        t0 = time.perf_counter()
        index = open_bench_index(args.engine, path)
        out["reopen_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        index.query(dense=queries(1)[0][0], sparse=None, flt=None, limit=10, mode="dense")
        out["first_query_ms"] = (time.perf_counter() - t0) * 1000
        assert index.count() == args.size
        out["queries"] = time_queries(index, args.queries, args.budget)
        out["rss_mb"], out["peak_rss_mb"] = rss_mb()
        out["rss_index_mb"] = out["rss_mb"] - base_rss
        index.close()
        out["disk_mb"] = disk_mb(path)
    out["cpu_s"] = resource.getrusage(resource.RUSAGE_SELF).ru_utime
    return out


# ---- driver -----------------------------------------------------------------------------------


def run_phase(
    engine: str, size: int, phase: str, directory: Path, args: argparse.Namespace
) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", "--engine", engine, "--size", str(size), "--phase", phase]
    cmd += ["--dir", str(directory), "--queries", str(args.queries), "--budget", str(args.budget)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"worker {engine}/{size}/{phase} failed")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    print(f"  {engine:6} {size:>9,} {phase:8} {_brief(result)}", flush=True)
    return result


def _brief(r: dict[str, Any]) -> str:
    parts = []
    for key in ("ingest_per_s", "optimize_s", "reopen_s", "rss_mb", "disk_mb", "wall_s"):
        if key in r:
            parts.append(f"{key}={r[key]:,.1f}")
    if "queries" in r:
        q = r["queries"]
        parts.append(
            f"hybrid p50/p95={q['hybrid']['p50']:.1f}/{q['hybrid']['p95']:.1f} ms (n={q['hybrid']['n']}) "
            f"dense={q['dense']['p50']:.1f} dense-nf={q['dense_nf']['p50']:.1f} ms"
        )
    return " ".join(parts)


def client_skip_reason(
    size: int, measured: dict[int, dict[str, Any]], args: argparse.Namespace
) -> str | None:
    """qdrant-client local mode keeps every point in Python objects: above --client-max-size,
    extrapolate from the largest size measured in this run and skip if over the limits."""
    if not measured or size <= args.client_max_size:
        return None
    ref_size = max(measured)
    ref = measured[ref_size]
    factor = size / ref_size
    ram_gb = max(ref["build"]["peak_rss_mb"], ref["serve"]["peak_rss_mb"]) * factor / 1024
    minutes = (ref["build"]["wall_s"] + ref["serve"]["wall_s"]) * factor / 60
    if ram_gb > args.client_max_gb or minutes > args.client_max_min:
        return (
            f"skipped: extrapolated from {ref_size:,} points, local mode would need ~{ram_gb:.1f} GB RAM "
            f"and ~{minutes:.0f} min (limits {args.client_max_gb} GB, {args.client_max_min} min)"
        )
    return None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--engines", default="edge,client")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--budget", type=float, default=120.0, help="max seconds per query kind")
    parser.add_argument("--dir", default="/tmp/retex-index-bench")
    parser.add_argument("--keep", action="store_true", help="keep the index folders")
    parser.add_argument("--json", help="also write all results to this file")
    parser.add_argument("--client-max-gb", type=float, default=8.0)
    parser.add_argument("--client-max-min", type=float, default=10.0)
    parser.add_argument("--client-max-size", type=int, default=100_000, help="always run client up to this")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    engines = args.engines.split(",")
    base = Path(args.dir)
    results: list[dict[str, Any]] = []
    client_done: dict[int, dict[str, Any]] = {}
    print(f"# index_scale: sizes={sizes} engines={engines} cpus={os.cpu_count()} queries={args.queries}")
    for size in sizes:
        for engine in engines:
            directory = base / f"{engine}-{size}"
            subprocess.run(["rm", "-rf", str(directory)], check=True)
            if engine == "client" and (reason := client_skip_reason(size, client_done, args)):
                print(f"  client {size:>9,} {reason}", flush=True)
                results.append({"engine": engine, "size": size, "skipped": reason})
                continue
            row: dict[str, Any] = {"engine": engine, "size": size}
            row["build"] = run_phase(engine, size, "build", directory, args)
            row["serve"] = run_phase(engine, size, "serve", directory, args)
            if engine == "edge":
                row["optimize"] = run_phase(engine, size, "optimize", directory, args)
                row["serve_optimized"] = run_phase(engine, size, "serve", directory, args)
            else:
                client_done[size] = row
            results.append(row)
            if not args.keep:
                subprocess.run(["rm", "-rf", str(directory)], check=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    print_table(results)


def print_table(results: list[dict[str, Any]]) -> None:
    header = (
        f"| {'size':>9} | {'engine':<17} | {'ingest/s':>8} | {'hybrid p50/p95 ms':>17} | {'dense p50':>9} "
        f"| {'dense-nf p50':>12} | {'RSS MB':>7} | {'peak MB':>7} | {'disk MB':>8} | {'reopen s':>8} "
        f"| {'optimize s':>10} |"
    )
    print("\n" + header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for r in results:
        if "skipped" in r:
            print(f"| {r['size']:>9,} | {r['engine']:<17} | {r['skipped']}")
            continue
        variants = [("serve", r["engine"] + " (as built)")]
        if "serve_optimized" in r:
            variants.append(("serve_optimized", r["engine"] + " (optimized)"))
        for key, label in variants:
            s, b = r[key], r["build"]
            q = s["queries"]
            opt = f"{r['optimize']['optimize_s']:.1f}" if key == "serve_optimized" else "-"
            peak = max(s["peak_rss_mb"], b["peak_rss_mb"])
            print(
                f"| {r['size']:>9,} | {label:<17} | {b['ingest_per_s']:>8,.0f} "
                f"| {q['hybrid']['p50']:>7.2f} / {q['hybrid']['p95']:>7.2f} | {q['dense']['p50']:>9.2f} "
                f"| {q['dense_nf']['p50']:>12.2f} | {s['rss_mb']:>7,.0f} | {peak:>7,.0f} "
                f"| {s['disk_mb']:>8,.0f} | {s['reopen_s']:>8.2f} | {opt:>10} |"
            )
    print("\nGoals (serving after a clean reopen; n < 200 means the query budget ran out):")
    for r in results:
        if "skipped" in r:
            continue
        for key in ("serve", "serve_optimized"):
            if key not in r:
                continue
            s, size = r[key], r["size"]
            label = f"{r['engine']}{' optimized' if key == 'serve_optimized' else ''} @ {size:,}"
            checks = []
            if size in GOALS["hybrid_p95_ms"]:
                goal, got = GOALS["hybrid_p95_ms"][size], s["queries"]["hybrid"]["p95"]
                checks.append(f"hybrid p95 {got:.1f} ms ≤ {goal:.0f}: {'OK' if got <= goal else 'MISSED'}")
            if size in GOALS["reopen_s"]:
                goal, got = GOALS["reopen_s"][size], s["reopen_s"]
                checks.append(f"reopen {got:.2f} s ≤ {goal:.0f}: {'OK' if got <= goal else 'MISSED'}")
            n = s["queries"]["hybrid"]["n"]
            if checks:
                print(f"  {label}: " + "; ".join(checks) + f" (n={n})")


if __name__ == "__main__":
    main()
