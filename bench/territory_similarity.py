"""Similar-territory query latency: p50/p95 over 1,000 random communes, through the real code path
(territory collection + re-ranking + explanations), without HTTP.

    .venv/bin/python bench/territory_similarity.py [--n 1000] [--scope france] [--data-dir DIR]

Uses the database and index of RETEX_DATA_DIR (or --data-dir); seeds and builds what is missing.
The passage index is opened too (thematic vectors), with the model of the settings (RETEX_MODEL)."""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from sqlalchemy import select

from service.db.engine import make_engine, make_session_factory
from service.db.migrate import upgrade
from service.search_engine.engine import SearchEngine
from service.settings import Settings
from service.territories.index_runtime import open_territory_index, sync_territory_index
from service.territories.models import Territory, TerritoryKind
from service.territory_insights.similarity import similar_territories


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000)
    parser.add_argument("--scope", choices=["france", "region", "departement"], default="france")
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    settings = Settings(data_dir=args.data_dir) if args.data_dir else Settings()
    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    session_factory = make_session_factory(engine)
    with session_factory() as session:
        if not session.scalar(select(Territory.id).limit(1)):
            from seeds.run import seed_all

            print("empty database: seeding…")
            seed_all(session)
            session.commit()
    index = open_territory_index(settings)
    search = SearchEngine.open(settings)
    try:
        with session_factory() as session:
            started = time.perf_counter()
            report = sync_territory_index(session, index)
            print(
                f"territory collection: {index.count()} points ({report.written} written, "
                f"{time.perf_counter() - started:.1f} s)"
            )
            codes = list(
                session.scalars(select(Territory.code).where(Territory.kind == TerritoryKind.commune))
            )
        rng = random.Random(args.seed)
        sample = rng.sample(codes, min(args.n, len(codes)))
        timings: list[float] = []
        for code in sample:
            with session_factory() as session:
                t0 = time.perf_counter()
                territory = session.scalar(select(Territory).where(Territory.code == code))
                assert territory is not None
                _, peers = similar_territories(
                    session,
                    index,
                    search.index,
                    territory=territory,
                    kind=None,
                    scope=args.scope,
                    limit=args.limit,
                )
                timings.append((time.perf_counter() - t0) * 1000)
                assert peers and all(p.explanation for p in peers)
        timings.sort()
        p95 = timings[int(0.95 * (len(timings) - 1))]
        print(
            f"similar territories, scope={args.scope}, {len(timings)} random communes: "
            f"p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms "
            f"(target p95 ≤ 100 ms)"
        )
    finally:
        search.close()
        index.index.close()
        engine.dispose()


if __name__ == "__main__":
    main()
