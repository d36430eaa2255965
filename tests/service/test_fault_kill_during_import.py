"""SIGKILL of the app and of the indexing worker in the middle of a 1,000-case import through the API.

After the restarts every acknowledged case is in the database, whole, and searchable exactly once;
a case whose request was in flight at the kill is either absent or complete (and then indexed too)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from indexing.case_index import passages_spec
from indexing.embedder import load_embedder
from indexing.vector_index import open_index
from service.casestudies.models import CaseStudy
from service.db.engine import make_engine, make_session_factory
from service.db.migrate import upgrade
from service.indexjobs.models import IndexJob
from tests.processes import AppProcess, Importer, RetexProcess

N_CASES = 1000
TOKEN = "import-token"


def word(i: int) -> str:
    """A made-up word per case ("zqaaark", "zqaabrk"…): a lexical search for it must find that case only."""
    letters = ""
    for _ in range(3):
        i, r = divmod(i, 26)
        letters = chr(ord("a") + r) + letters
    return "zq" + letters + "rk"  # no suffix the French stemmer would strip


def payload(i: int) -> dict[str, Any]:
    return {
        "title": f"Import {i:04d} {word(i)}",
        "summary": f"Expérience importée numéro {i}, mot repère {word(i)}.",
        "status": "deployed",
        "publication_state": "published",
    }


def test_kill_app_and_worker_during_import_loses_nothing(scratch_url: str, tmp_path: Path) -> None:
    upgrade(scratch_url)
    data = tmp_path / "data"
    env = {
        "RETEX_DATABASE_URL": scratch_url,
        "RETEX_DATA_DIR": str(data),
        "RETEX_MODEL": "hashing",
        "RETEX_ADMIN_TOKEN": TOKEN,
    }
    engine = make_engine(scratch_url)
    factory = make_session_factory(engine)

    def queued_jobs() -> int:
        with factory() as session:
            return session.scalar(select(func.count(IndexJob.id))) or 0

    importer = Importer(payload, N_CASES, TOKEN)
    logs = tmp_path
    try:
        # 1. The app without its indexing thread (jobs pile up); killed after 300 acknowledged writes.
        first = AppProcess({**env, "RETEX_INDEX_WORKER": "false"}, logs / "app1.log").start()
        first.wait_healthy()
        importer.run(first.base_url, stop_after=300, on_stop=first.kill)
        assert not first.running
        backlog = queued_jobs()
        assert backlog >= 300

        # 2. The separate worker, killed once it has applied some jobs but not all.
        worker = RetexProcess(["worker", "--batch-size", "1"], env, logs / "worker.log").start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and queued_jobs() > backlog - 40 and worker.running:
            time.sleep(0.02)
        worker.kill()
        left = queued_jobs()
        assert 0 < left < backlog, f"the kill landed in the middle of the work ({left}/{backlog})"

        # 3. The app with its indexing thread, killed while both import and indexing run.
        second = AppProcess(env, logs / "app2.log").start()
        second.wait_healthy()
        importer.run(second.base_url, stop_after=650, on_stop=second.kill)
        assert not second.running

        # 4. Restart; the import finishes and the index converges.
        third = AppProcess(env, logs / "app3.log").start()
        third.wait_healthy()
        importer.run(third.base_url)
        third.wait_converged(timeout=180)
        assert not importer.rejected, importer.rejected
        assert len(importer.acknowledged) + len(importer.unacknowledged) == N_CASES

        with httpx.Client(base_url=third.base_url, timeout=30) as http:
            for i, case_id in importer.acknowledged.items():
                if i % 10 == 0:  # reading 100 of them back is enough; the DB check below covers all
                    got = http.get(f"/api/v1/case-studies/{case_id}").json()
                    assert (got["title"], got["summary"]) == (payload(i)["title"], payload(i)["summary"])
            sample = [*list(importer.acknowledged)[::25], *importer.unacknowledged]
            for i in sample:
                hits = http.get("/api/v1/search", params={"q": word(i), "mode": "lexical"}).json()["items"]
                titles = [h["case"]["title"] for h in hits]
                if i in importer.acknowledged or titles:
                    assert titles.count(payload(i)["title"]) == 1, (i, titles)
                    assert titles[0] == payload(i)["title"]
        third.stop()
    finally:
        for name in ("first", "worker", "second", "third"):
            proc = locals().get(name)
            if proc is not None:
                proc.stop()

    with factory() as session:
        stored = {c.title: c for c in session.scalars(select(CaseStudy))}
        assert queued_jobs() == 0
    engine.dispose()
    by_number = {i: stored.get(payload(i)["title"]) for i in range(N_CASES)}
    for i in importer.acknowledged:
        case = by_number[i]
        assert case is not None and case.id == importer.acknowledged[i]
        assert case.summary == payload(i)["summary"]
    for i in importer.unacknowledged:  # in flight at a kill: all or nothing
        case = by_number[i]
        assert case is None or case.summary == payload(i)["summary"]
    expected_ids = {c.id for c in stored.values()}
    assert len(stored) == len(importer.acknowledged) + sum(
        by_number[i] is not None for i in importer.unacknowledged
    ), "nothing else was written"

    embedder = load_embedder("hashing", data)
    with open_index(passages_spec(embedder), path=data / "index") as index:
        per_case = Counter(int(p["case_id"]) for _, p in index.scroll_payloads(["case_id"]))
    assert set(per_case) == expected_ids, "every stored case is indexed, nothing else is"
    assert set(per_case.values()) == {1}, "each case's single passage is there exactly once"
