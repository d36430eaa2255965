"""PostgreSQL stopped in the middle of a run (a server of the test's own, on a spare port): requests get
a clear 503, the app and the indexing worker stay up, and everything works again once it is back."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from indexing.case_index import passages_spec
from indexing.embedder import load_embedder
from indexing.vector_index import open_index
from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
from service.db.engine import make_engine, make_session_factory
from service.indexjobs.appliers import FIRST_PASSAGES
from service.indexjobs.models import IndexJob
from tests.processes import AppProcess, LocalPostgres, RetexProcess
from tests.support.databases import create_database

# Runs once (SQLite pass): it brings its own PostgreSQL server and never touches the suite's database.
pytestmark = pytest.mark.nodb

TOKEN = "fault-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _case(word: str) -> dict[str, str]:
    return {
        "title": f"Expérience {word}",
        "summary": f"Un service numérique mis en place par la commune, mot-clé {word}.",
        "publication_state": "published",
    }


def _wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(what)


def test_postgres_stopped_mid_run_gives_503_then_everything_recovers(
    local_postgres: LocalPostgres, tmp_path: Path
) -> None:
    url = create_database(local_postgres, "retex_pg_down")
    env = {
        "RETEX_DATABASE_URL": url,
        "RETEX_DATA_DIR": str(tmp_path / "data"),
        "RETEX_MODEL": "hashing",
        "RETEX_ADMIN_TOKEN": TOKEN,
    }
    app = AppProcess(env, tmp_path / "app.log").start()
    try:
        app.wait_healthy()
        with httpx.Client(base_url=app.base_url, timeout=20) as http:
            for word in ("alpha", "bravo", "charlie"):
                assert http.post("/api/v1/case-studies", json=_case(word), headers=AUTH).status_code == 201
            app.wait_converged(60)

            local_postgres.stop()
            listing = http.get("/api/v1/case-studies")
            assert listing.status_code == 503
            assert listing.headers["content-type"].startswith("application/problem+json")
            assert "base de données" in listing.json()["detail"]
            assert listing.headers["retry-after"]
            write = http.post("/api/v1/case-studies", json=_case("delta"), headers=AUTH)
            assert write.status_code == 503
            assert "Rien n'a été enregistré" in write.json()["detail"]
            assert http.get("/api/v1/search", params={"q": "alpha"}).status_code == 503
            page = http.get("/experiences")
            assert page.status_code == 503
            assert "base de données est momentanément injoignable" in page.text
            ready = http.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["database"]["ok"] is False
            assert "base de données injoignable" in ready.json()["detail"]
            assert http.get("/healthz").status_code == 200
            time.sleep(3)  # the in-process worker polls and fails meanwhile
            assert app.running

            local_postgres.start()
            _wait_for(lambda: http.get("/readyz").status_code == 200, 30, "app ready again")
            for word in ("echo", "foxtrot"):
                assert http.post("/api/v1/case-studies", json=_case(word), headers=AUTH).status_code == 201
            app.wait_converged(60)
            assert app.readyz()["index"]["indexed_cases"] == 5
            hits = http.get("/api/v1/search", params={"q": "foxtrot", "mode": "lexical"}).json()["items"]
            assert hits[0]["case"]["title"] == "Expérience foxtrot"
            assert app.readyz()["worker"]["in_process"] is True
    finally:
        app.stop()
        if not local_postgres.running:
            local_postgres.start()

    # The separate indexing process: the database goes away while it waits for work.
    worker = RetexProcess(["worker"], env, tmp_path / "worker.log").start()
    engine = make_engine(url)
    factory = make_session_factory(engine)
    try:
        _wait_for(lambda: "Worker prêt" in worker.output(), 60, "worker started")
        local_postgres.stop()
        time.sleep(3)
        assert worker.running, worker.output()
        local_postgres.start()
        with factory() as session:
            for word in ("golf", "hotel", "india"):
                session.add(
                    CaseStudy(
                        slug=word,
                        title=f"Expérience {word}",
                        summary="Écrite pendant que le worker tourne.",
                        status=ProjectStatus.deployed,
                        publication_state=PublicationState.published,
                    )
                )
            session.commit()

        def drained() -> bool:
            with factory() as session:
                return session.scalar(select(func.count(IndexJob.id))) == 0

        _wait_for(drained, 60, "worker drained the queue after the restart")
        assert worker.running, worker.output()
        assert worker.stop() == 0, worker.output()
    finally:
        worker.stop()
        engine.dispose()
    embedder = load_embedder("hashing", tmp_path / "data")
    with open_index(passages_spec(embedder), path=tmp_path / "data" / "index") as index:
        assert index.count(FIRST_PASSAGES) == 8
