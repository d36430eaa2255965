"""Peak memory of the open data export at scale: 100,000 synthetic published cases in a temporary SQLite
database, exported through the real application (middlewares, route, batched reader, CSV/JSON Lines
writers) by an ASGI driver that counts and discards the bytes, as a slow client would read them.

    python bench/export_memory.py [--cases 100000] [--format jsonl|csv]

The database is built in a child process, so the figure printed is the peak RSS of the process that
only serves the export (resource.getrusage ru_maxrss)."""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PARAGRAPH = (
    "La collectivité a mutualisé l'achat de logiciels avec les communes voisines, rédigé un cahier des "
    "charges commun et formé les agents ; le service est ouvert aux habitants depuis deux ans. "
)


def build(url: str, cases: int) -> None:
    """Fast bulk insert (SQLAlchemy Core executemany) of themes, territories, software and cases."""
    from sqlalchemy import insert

    from service.casestudies.models import CaseStudy, case_software, case_territories, case_themes
    from service.db.engine import make_engine
    from service.db.migrate import upgrade
    from service.software.models import Software
    from service.territories.models import Territory
    from service.themes.models import Theme

    upgrade(url)
    engine = make_engine(url)
    rng = random.Random(7)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(insert(Theme), [{"slug": f"theme-{i}", "label": f"Thème {i}"} for i in range(1, 31)])
        conn.execute(
            insert(Territory),
            [
                {
                    "code": f"{10000 + i}",
                    "name": f"Commune {i}",
                    "name_key": f"commune {i}",
                    "kind": "commune",
                    "population": rng.randint(100, 200_000),
                    "departement_code": f"{10 + i % 90}",
                    "region_code": f"{11 + i % 17}",
                }
                for i in range(1, 2001)
            ],
        )
        conn.execute(
            insert(Software), [{"slug": f"logiciel-{i}", "name": f"Logiciel {i}"} for i in range(1, 201)]
        )
        batch = 5000
        for start in range(1, cases + 1, batch):
            ids = range(start, min(start + batch, cases + 1))
            conn.execute(
                insert(CaseStudy),
                [
                    {
                        "id": i,
                        "slug": f"experience-{i}",
                        "title": f"Expérience n° {i} : portail citoyen mutualisé",
                        "summary": PARAGRAPH,
                        "context": PARAGRAPH * 3,
                        "solution": PARAGRAPH * 3,
                        "results": PARAGRAPH * 2,
                        "resources": PARAGRAPH,
                        "transferability": PARAGRAPH,
                        "status": rng.choice(["idea", "pilot", "deployed", "generalised"]),
                        "publication_state": "published",
                        "published_at": now,
                        "licence": rng.choice(["etalab-2.0", "cc-by-nc-sa-4.0"]),
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in ids
                ],
            )
            conn.execute(
                insert(case_themes),
                [{"case_study_id": i, "theme_id": t} for i in ids for t in {1 + i % 30, 1 + (i * 7) % 30}],
            )
            conn.execute(
                insert(case_territories),
                [
                    {"case_study_id": i, "territory_id": t}
                    for i in ids
                    for t in {1 + i % 2000, 1 + (i * 13) % 2000}
                ],
            )
            conn.execute(
                insert(case_software), [{"case_study_id": i, "software_id": 1 + i % 200} for i in ids]
            )
    engine.dispose()


async def drain(app: Any, path: str) -> tuple[int, int, int]:
    """GET `path` through the ASGI app; returns (status, bytes received, body messages)."""
    status, received, messages = 0, 0, 0
    sent_request = False

    async def receive() -> dict[str, Any]:
        nonlocal sent_request
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # never disconnects
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, received, messages
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            received += len(message.get("body", b""))
            messages += 1

    path_only, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path_only,
        "raw_path": path_only.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
        "state": {},
    }
    await app(scope, receive, send)
    return status, received, messages


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    parser.add_argument("--build-only", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        build(args.build_only, args.cases)
        return

    from service.app import create_app
    from service.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--cases", str(args.cases), "--build-only", url], check=True
        )
        print(f"built {args.cases} synthetic cases in {time.perf_counter() - started:.1f} s (child process)")
        app = create_app(Settings(data_dir=Path(tmp) / "data", database_url=url, model="hashing"))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        status, size, messages = asyncio.run(drain(app, f"/api/v1/exports/case-studies.{args.format}"))
        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        app.state.engine.dispose()
    print(
        f"export {args.format}: HTTP {status}, {size / 1e6:.1f} MB in {messages} chunks, {elapsed:.1f} s "
        f"({args.cases / elapsed:,.0f} cases/s)"
    )
    print(f"peak RSS: {peak:.0f} MB (before the export: {before:.0f} MB)")


if __name__ == "__main__":
    main()
