"""Latency of the search page's HTMX partial (GET /recherche with HX-Request), on the seeded data.

Usage:
  .venv/bin/python -m bench.web_search_partial                       # hashing test embedder
  .venv/bin/python -m bench.web_search_partial --model packaged:multilingual-e5-small
  .venv/bin/python -m bench.web_search_partial --data-dir /tmp/retex-bench --requests 500

A fresh data dir (SQLite) is migrated, seeded with the shipped open data (668 cases) and indexed
with the chosen model the first time; later runs on the same --data-dir reuse it. Requests go through
the whole ASGI app in process (routing, session cookie, CSRF dependency, search, facets, Jinja
rendering). For each of the 54 queries of the dev set (bench/devset/queries.jsonl): its first third,
two thirds and whole text as typed (new texts: the query is embedded), then the whole text with a
facet filter or on page 2 (same text: the query vector comes from the embedder's cache). Prints
p50/p95/max in milliseconds, overall and per kind; the goal is p95 <= 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GOAL_P95_MS = 100.0
FILTERS = ("&status=deployed", "&theme=services-en-ligne", "&page=2", "&population_band=10k-50k")


def _queries() -> list[str]:
    lines = (ROOT / "bench" / "devset" / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _timed(client: Any, url: str, headers: dict[str, str]) -> float:
    t0 = time.perf_counter()
    response = client.get(url, headers=headers)
    elapsed = (time.perf_counter() - t0) * 1000
    assert response.status_code == 200 and 'id="result-count"' in response.text, response.status_code
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--model", default="hashing", help="RETEX_MODEL: hashing or packaged:multilingual-e5-small"
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="reused between runs (default: a temp dir)"
    )
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()

    from fastapi.testclient import TestClient
    from sqlalchemy import func, select

    from seeds.run import seed_all
    from service.app import create_app
    from service.casestudies.models import CaseStudy
    from service.db.engine import make_engine, make_session_factory
    from service.db.migrate import upgrade
    from service.settings import Settings

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="retex-bench-web-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    models = data_dir / "models"
    shared_models = ROOT / "var" / "models"
    if not models.exists() and shared_models.is_dir():
        models.symlink_to(shared_models, target_is_directory=True)  # reuse the converted model
    settings = Settings(data_dir=data_dir, model=args.model, index_worker=False, admin_token=None)
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    with make_session_factory(engine)() as session:
        if not session.scalar(select(func.count(CaseStudy.id))):
            print("seeding…", flush=True)
            seed_all(session)
            session.commit()
    engine.dispose()

    app = create_app(settings)
    with TestClient(app) as client:
        started = time.perf_counter()
        indexed = app.state.outbox_worker.run_until_idle()
        if indexed:
            print(f"indexed {indexed} cases in {time.perf_counter() - started:.1f} s", flush=True)
        territories = getattr(app.state, "territory_index", None)
        if territories is not None:  # its first build runs in the background: let it finish first
            territories.wait_ready(300)
        headers = {"HX-Request": "true"}
        for i in range(args.warmup):  # other texts: the measured queries stay cold
            client.get(f"/recherche?q=échauffement {i}", headers=headers)
        cold: list[float] = []  # a new text: the query is embedded (typing, a new search)
        warm: list[float] = []  # the same text again: filters, next page (vector from the cache)
        for query in _queries():
            words = query.split()
            typed = [" ".join(words[: max(1, len(words) * k // 3)]) for k in (1, 2)] + [query]
            for text in dict.fromkeys(typed):
                cold.append(_timed(client, f"/recherche?q={text}", headers))
            for extra in FILTERS:
                warm.append(_timed(client, f"/recherche?q={query}{extra}", headers))
        full = [_timed(client, f"/recherche?q={q}", {}) for q in _queries()[:30]]

    timings = cold + warm
    p95 = _percentile(timings, 0.95)
    print(f"model={args.model} requests={len(timings)} cases=668 cores={os.cpu_count()}")
    for label, values in (("all", timings), ("new text", cold), ("same text", warm)):
        p50 = statistics.median(values)
        print(
            f"HTMX partial /recherche, {label:9}: n={len(values):3}  p50={p50:6.1f} ms  "
            f"p95={_percentile(values, 0.95):6.1f} ms  max={max(values):6.1f} ms"
        )
    print(
        f"full page /recherche (no HX-Request): p50={statistics.median(full):.1f} ms  "
        f"p95={_percentile(full, 0.95):.1f} ms"
    )
    print(f"goal p95 <= {GOAL_P95_MS:.0f} ms: {'met' if p95 <= GOAL_P95_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
