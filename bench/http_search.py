"""Searches per second over HTTP, as users feel it: the server of `make run` under `wrk`.

Usage:
  .venv/bin/python -m bench.http_search                          # 1 and 8 clients, 30 s each, the API
  .venv/bin/python -m bench.http_search --seconds 10 --web       # the /recherche HTMX partial instead
  .venv/bin/python -m bench.http_search --url http://127.0.0.1:8000   # a server that already runs
  .venv/bin/python -m bench.http_search --workers 2              # `serve --workers 2`: the index host too
  .venv/bin/python -m bench.http_search --clients 1 --clients 8 --clients 16 --data-dir /tmp/retex-http

Without --url it starts `python -m service.cli serve --seed-if-empty` (as `make run` does: SQLite, the
embedded index, the real model) on a spare loopback port with its own data dir; the first run seeds and
indexes the shipped open data, later runs reuse the data dir. It waits until /readyz says the index has
converged, then for each --clients value runs `wrk` (Debian package `wrk`, C: its own CPU is negligible)
with that many connections for --seconds, cycling through DISTINCT queries: the dev-set questions
(bench/devset/queries.jsonl) cut after 3, 4, … words and followed by one of a few common endings, so no
text repeats within a run (the embedder's query cache never helps). An error is a failed connection, a
timeout or any status other than 200. Prints searches/s, p50, p95, errors, the /healthz requests/s of
the same run (the machine's yardstick) and the load average (the machine is shared: read figures with it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.processes import RetexProcess, free_port  # noqa: E402

ENDINGS = (
    "",
    " dans une petite commune",
    " pour une intercommunalité",
    " retour d'expérience",
    " en milieu rural",
    " avec peu de moyens",
    " quels résultats",
    " pour un département",
    " exemple concret",
    " quels outils numériques",
    " à moindre coût",
    " logiciel libre",
)

# wrk script: every thread walks its own slice of the paths (so no path repeats across connections);
# done() prints one JSON line that the bench parses.
LUA = r"""
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local counter = 0
local threads = {}
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
function init(args)
  local nthreads = tonumber(args[1]) or 1
  counter = math.floor(#paths / nthreads) * id + tonumber(args[2] or "0")
end
request = function()
  counter = counter + 1
  local path = paths[(counter %% #paths) + 1]
  return wrk.format("GET", path, %(headers)s)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d, ' ..
    '"errors": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} (2 cores)"


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time so far of the server process and of the processes under it (the app
    workers and the index host of `serve --workers N`), from Linux /proc; None when unknown.

    CPU per search is the figure that load from other programs disturbs least: a shared machine
    changes searches/s and latencies, much less the CPU one search costs the server."""
    if pid is None:
        return None
    total, pending, seen = 0, [pid], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rpartition(")")[2].split()
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            if current == pid:
                return None
            continue  # a child that just ended
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def distinct_queries() -> list[str]:
    lines = (ROOT / "bench" / "devset" / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    bases = [json.loads(line)["text"] for line in lines if line.strip()]
    texts: set[str] = set()
    for base in bases:
        words = base.split()
        for cut in range(min(3, len(words)), len(words) + 1):
            stem = " ".join(words[:cut])
            for ending in ENDINGS:
                texts.add((stem + ending)[:300])
    out = sorted(texts)
    random.Random(16).shuffle(out)
    return out


def search_paths(queries: list[str], *, web: bool) -> list[str]:
    if web:
        return ["/recherche?" + urlencode({"q": q}) for q in queries]
    return ["/api/v1/search?" + urlencode({"q": q}) for q in queries]


def wait_ready(base: str, server: RetexProcess | None, timeout: float) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if server is not None and not server.running:
            raise SystemExit(f"the server stopped:\n{server.output()[-3000:]}")
        try:
            r = httpx.get(base + "/readyz", timeout=10)
            body = r.json()
            index = body.get("index", {})
            if r.status_code == 200 and index.get("consistent") and index.get("indexed_cases"):
                return dict(index)
            status = f"{r.status_code} {index}"
            if status != last:
                print(f"  waiting for the index: {status}", flush=True)
                last = status
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(2)
    raise SystemExit("the index did not converge in time")


def run_wrk(
    base: str, paths_file: Path, *, clients: int, seconds: float, headers: dict[str, str], offset: int
) -> dict[str, float]:
    header_lua = "{" + ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items()) + "}" if headers else "nil"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % {"paths": paths_file, "headers": header_lua})
    threads = min(clients, 2)
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{clients}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        script.name,
        base,
        "--",
        str(threads),
        str(offset),
    ]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    raw = json.loads(line.removeprefix("RESULT "))
    return {
        "per_s": raw["requests"] / (raw["duration_us"] / 1e6),
        "requests": raw["requests"],
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "errors": raw["errors"],
    }


def start_server(data_dir: Path, port: int, workers: int = 1) -> RetexProcess:
    data_dir.mkdir(parents=True, exist_ok=True)
    # The models `make install` converted and exported (OpenVINO int8) into the project's data dir, as
    # `make run` loads them; without them the server would convert a torch-only copy of its own.
    models = data_dir / "models"
    installed = Path(os.environ.get("RETEX_DATA_DIR", ROOT / "var")) / "models"
    if not models.exists() and installed.is_dir():
        models.symlink_to(installed.resolve(), target_is_directory=True)
    env = {
        "RETEX_DATA_DIR": str(data_dir),
        "RETEX_HOST": "127.0.0.1",
        "RETEX_ANONYMOUS_READS_PER_MINUTE": "100000000",  # measure the server, not the per-IP budget
        "HF_HUB_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
        # wrk comes from one address: lift the per-address anonymous budget (a throughput benchmark, not
        # a test of the limit, which tests/ cover).
        "RETEX_ANONYMOUS_SEARCHES_PER_MINUTE": "100000000",
    }
    server = RetexProcess(
        ["serve", "--seed-if-empty", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env,
        data_dir / "bench-server.log",
    )
    # The embedded default (SQLite, qdrant-edge, the packaged model), whatever the caller's environment says.
    for key in (
        "RETEX_DATABASE_URL",
        "RETEX_QDRANT_URL",
        "RETEX_INDEX_PATH",
        "RETEX_MODEL",
        "RETEX_WEB_WORKERS",
    ):
        server.env.pop(key, None)
    return server.start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="Measure a server that already runs (no start, no seeding).")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "retex-http-bench",
        help="The started server's data dir (seeded on first use, reused afterwards).",
    )
    parser.add_argument("--clients", type=int, action="append", help="Concurrent clients (default 1 and 8).")
    parser.add_argument("--seconds", type=float, default=30.0, help="Per measurement (default 30).")
    parser.add_argument("--web", action="store_true", help="The /recherche HTMX partial instead of the API.")
    parser.add_argument("--ready-timeout", type=float, default=3600.0)
    parser.add_argument("--pid", type=int, help="With --url: the server's process id (CPU per search).")
    parser.add_argument(
        "--workers", type=int, default=1, help="App processes of the started server (`serve --workers`)."
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2
    server = None
    pid: int | None = args.pid
    base = args.url.rstrip("/") if args.url else ""
    if not base:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        print(f"starting the server on {base} with data dir {args.data_dir}", flush=True)
        server = start_server(args.data_dir, port, args.workers)
        pid = server.proc.pid if server.proc is not None else None
    try:
        index = wait_ready(base, server, args.ready_timeout)
        print(f"index ready: {index}")
        queries = distinct_queries()
        headers = {"HX-Request": "true"} if args.web else {}
        what = "/recherche partial (HX-Request)" if args.web else "/api/v1/search"
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("\n".join(search_paths(queries, web=args.web)) + "\n")
            paths_file = Path(f.name)
        # Warm-up: first requests load templates, compile code paths.
        for q in queries[-20:]:
            httpx.get(base + search_paths([q], web=args.web)[0], headers=headers, timeout=30)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("/healthz\n")
            health_file = Path(f.name)
        print(f"{len(queries)} distinct queries; {what}; {args.seconds:.0f} s per measurement")
        offset = random.Random().randrange(len(queries))  # another slice on each run against --url
        try:
            for clients in args.clients or [1, 8]:
                load = load_average()
                cpu_before = cpu_seconds(pid)
                r = run_wrk(
                    base, paths_file, clients=clients, seconds=args.seconds, headers=headers, offset=offset
                )
                offset += int(r["requests"]) + 1
                cpu_after = cpu_seconds(pid)
                cpu = (
                    f"; server CPU {1000 * (cpu_after - cpu_before) / r['requests']:.1f} ms per search"
                    if cpu_before is not None and cpu_after is not None and r["requests"]
                    else ""
                )
                print(
                    f"{what:34} {clients:2} clients: {r['per_s']:7.1f} searches/s  p50 {r['p50_ms']:6.1f} ms"
                    f"  p95 {r['p95_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  errors {int(r['errors'])}"
                    f"  ({r['requests']:.0f} requests{cpu}; {load})",
                    flush=True,
                )
            load = load_average()
            h = run_wrk(base, health_file, clients=8, seconds=min(args.seconds, 10), headers={}, offset=0)
            print(
                f"{'/healthz (yardstick)':34}  8 clients: {h['per_s']:7.1f} requests/s"
                f"  p50 {h['p50_ms']:6.1f} ms"
                f"  p95 {h['p95_ms']:6.1f} ms  errors {int(h['errors'])}  ({load})",
                flush=True,
            )
            print(f"after: {load_average()}")
        finally:
            paths_file.unlink()
            health_file.unlink()
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
