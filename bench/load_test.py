"""Load test: concurrent clients against a real `retex serve`, 90 % searches and 10 % writes, loopback only.

Usage:
  python -m bench.load_test                                     # SQLite + embedded index, hashing model
  python -m bench.load_test --database-url postgresql+psycopg://postgres@127.0.0.1:5432/retex_bench
  python -m bench.load_test --model packaged:multilingual-e5-small --clients 8 --clients 32 --seconds 60

It starts `retex serve` (one process, its indexing thread on) on a spare port, with a fresh data dir and
the given database (its tables are dropped and recreated: never point it at a database you care about),
loads the 662 beta.gouv.fr fiches of the dev-set corpus (title + first paragraph) as published case
studies, waits until they are indexed, then for each --clients value runs that many clients for
--seconds: each client loops on a search (a dev-set query, a random page size) 9 times out of 10, and
creates a case study through the API (admin token) otherwise. An error is any answer other than
200/201 or a failed connection. Prints throughput, p50/p95/p99 per kind, errors, and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.devset.build_corpus import find_startups, startup_docs  # noqa: E402
from tests.processes import AppProcess  # noqa: E402

TOKEN = "load-test-token"
WRITE_SHARE = 0.10


@dataclass
class Samples:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"search": [], "write": []})
    errors: list[str] = field(default_factory=list)


def _queries() -> list[str]:
    lines = (ROOT / "bench" / "devset" / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


def _documents() -> list[tuple[str, str]]:
    docs = []
    for doc in startup_docs(find_startups()):
        text = doc["text"].strip()
        summary = (text.split("\n", 1)[0] or doc["title"])[:1900]
        docs.append((doc["title"][:120] or doc["_id"], summary))
    return docs


def load_database(url: str, docs: list[tuple[str, str]]) -> None:
    from sqlalchemy import text

    from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
    from service.db.engine import make_engine, make_session_factory
    from service.db.migrate import upgrade

    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(url)
    with make_session_factory(engine)() as session:
        for i, (title, summary) in enumerate(docs):
            session.add(
                CaseStudy(
                    slug=f"doc-{i}",
                    title=title,
                    summary=summary,
                    status=ProjectStatus.deployed,
                    publication_state=PublicationState.published,
                )
            )
        session.commit()
    engine.dispose()


async def client_loop(
    http: httpx.AsyncClient, queries: list[str], docs: list[tuple[str, str]], until: float, out: Samples
) -> None:
    rng = random.Random()
    while time.perf_counter() < until:
        write = rng.random() < WRITE_SHARE
        started = time.perf_counter()
        try:
            if write:
                title, summary = rng.choice(docs)
                body = {"title": title, "summary": summary, "publication_state": "published"}
                response = await http.post(
                    "/api/v1/case-studies", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
                )
                ok = response.status_code == 201
            else:
                params = {"q": rng.choice(queries), "page_size": rng.choice((10, 20))}
                response = await http.get("/api/v1/search", params=params)
                ok = response.status_code == 200
        except httpx.HTTPError as exc:
            out.errors.append(f"{type(exc).__name__}: {exc}")
            continue
        elapsed = time.perf_counter() - started
        if ok:
            out.latencies["write" if write else "search"].append(elapsed)
        else:
            out.errors.append(f"{response.status_code} {response.text[:200]}")


async def run_load(base_url: str, clients: int, seconds: float, docs: list[tuple[str, str]]) -> Samples:
    queries = _queries()
    out = Samples()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        until = time.perf_counter() + seconds
        await asyncio.gather(*(client_loop(http, queries, docs, until, out) for _ in range(clients)))
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(label: str, clients: int, seconds: float, samples: Samples) -> None:
    total = sum(len(v) for v in samples.latencies.values())
    print(f"\n{label}, {clients} clients, {seconds:.0f} s: {total / seconds:.1f} req/s, "
          f"{len(samples.errors)} errors, load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    everything = [x for v in samples.latencies.values() for x in v]
    for kind, values in (("all", everything), *samples.latencies.items()):
        if values:
            ms = [v * 1000 for v in values]
            print(f"  {kind:7} n={len(ms):6}  p50 {statistics.median(ms):7.1f} ms  "
                  f"p95 {percentile(ms, 95):7.1f} ms  p99 {percentile(ms, 99):7.1f} ms")  # fmt: skip
    for error in samples.errors[:5]:
        print(f"  error: {error}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="default: SQLite in a temporary data dir")
    parser.add_argument("--model", default="hashing")
    parser.add_argument("--clients", type=int, action="append", help="repeatable; default 8 and 32")
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    clients_list = args.clients or [8, 32]

    data = Path(tempfile.mkdtemp(prefix="retex-load-"))
    url = args.database_url or f"sqlite:///{data / 'retex.sqlite3'}"
    docs = _documents()
    load_database(url, docs)
    env = {
        "RETEX_DATABASE_URL": url,
        "RETEX_DATA_DIR": str(data),
        "RETEX_MODEL": args.model,
        "RETEX_ADMIN_TOKEN": TOKEN,
        "RETEX_ANONYMOUS_READS_PER_MINUTE": "100000000",  # measure the server, not the per-IP budget
        "HF_HUB_OFFLINE": "1",
    }
    models = Path(os.environ.get("RETEX_TEST_MODEL_DIR", ROOT / "var" / "models" / "multilingual-e5-small"))
    if models.exists():  # reuse the converted model instead of converting it again
        (data / "models").mkdir(exist_ok=True)
        (data / "models" / models.name).symlink_to(models.resolve(), target_is_directory=True)
    app = AppProcess(env, data / "app.log").start()
    label = (
        f"{'PostgreSQL' if url.startswith('postgresql') else 'SQLite'} + embedded index, model {args.model}"
    )
    try:
        app.wait_healthy(timeout=600)
        indexed_in = app.wait_converged(timeout=3600)
        print(f"{label}: {len(docs)} cases indexed in {indexed_in:.1f} s after start-up")
        for clients in clients_list:
            samples = asyncio.run(run_load(app.base_url, clients, args.seconds, docs))
            report(label, clients, args.seconds, samples)
        print(f"\nuptime: {os.popen('uptime').read().strip()}")
    finally:
        app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
