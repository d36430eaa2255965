"""How long the index takes to catch up with the database after a SIGKILL during an import.

Usage:
  python -m bench.kill_convergence                                  # SQLite, hashing model
  python -m bench.kill_convergence --model packaged:multilingual-e5-small
  python -m bench.kill_convergence --database-url postgresql+psycopg://postgres@127.0.0.1:5432/retex_kill

A fresh database (PostgreSQL: its tables are dropped) and data dir; `retex serve` (indexing thread on)
receives a --cases import through the API from 4 clients and is SIGKILLed after --kill-after
acknowledged writes, while its worker is behind. It is restarted at once; the script prints the
outbox backlog left by the kill, the time until the restarted process answers /healthz, and the time
until /readyz reports the index converged (no backlog, as many indexed cases as published ones).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

from service.db.engine import make_engine  # noqa: E402
from service.db.migrate import upgrade  # noqa: E402
from service.indexjobs.models import IndexJob  # noqa: E402
from tests.processes import AppProcess, Importer  # noqa: E402

TOKEN = "convergence-token"


def payload(i: int) -> dict[str, Any]:
    return {
        "title": f"Expérience importée {i}",
        "summary": f"Une commune a ouvert un service numérique pour ses habitants (fiche {i}).",
        "solution": "Un portail libre mutualisé avec l'intercommunalité, des démarches en ligne, "
        "un accompagnement des agents et des habitants éloignés du numérique.",
        "status": "deployed",
        "publication_state": "published",
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url")
    parser.add_argument("--model", default="hashing")
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--kill-after", type=int, default=700)
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="retex-kill-"))
    url = args.database_url or f"sqlite:///{data / 'retex.sqlite3'}"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(url)
    env = {
        "RETEX_DATABASE_URL": url,
        "RETEX_DATA_DIR": str(data),
        "RETEX_MODEL": args.model,
        "RETEX_ADMIN_TOKEN": TOKEN,
        "HF_HUB_OFFLINE": "1",
    }
    models = Path(os.environ.get("RETEX_TEST_MODEL_DIR", ROOT / "var" / "models" / "multilingual-e5-small"))
    if models.exists():
        (data / "models").mkdir(exist_ok=True)
        (data / "models" / models.name).symlink_to(models.resolve(), target_is_directory=True)

    importer = Importer(payload, args.cases, TOKEN)
    first = AppProcess(env, data / "app1.log").start()
    second = None
    try:
        first.wait_healthy(timeout=600)
        started = time.perf_counter()
        importer.run(first.base_url, stop_after=args.kill_after, on_stop=first.kill)
        import_seconds = time.perf_counter() - started
        with engine.connect() as conn:
            backlog = conn.scalar(select(func.count(IndexJob.id)))
        acked = len(importer.acknowledged)
        print(f"{'PostgreSQL' if engine.dialect.name == 'postgresql' else 'SQLite'}, model {args.model}: "
              f"SIGKILL after {acked} acknowledged writes ({import_seconds:.1f} s of import); "
              f"{backlog} index jobs left in the outbox")  # fmt: skip
        restart = time.perf_counter()
        second = AppProcess(env, data / "app2.log").start()
        second.wait_healthy(timeout=600)
        healthy = time.perf_counter() - restart
        converged = second.wait_converged(timeout=3600) + healthy
        index = second.readyz()["index"]
        print(f"restart -> /healthz {healthy:.1f} s; restart -> index converged {converged:.1f} s "
              f"({index['indexed_cases']} cases indexed = {index['published_cases']} published)")  # fmt: skip
        print(f"uptime: {os.popen('uptime').read().strip()}")
    finally:
        first.stop()
        if second is not None:
            second.stop()
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
