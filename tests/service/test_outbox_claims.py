"""Outbox claiming: concurrent workers on PostgreSQL apply each job once; a failing case is retried then
dead-lettered with its reason without holding back the others; SQLite has a single claimer."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from indexing.case_index import passages_spec
from indexing.documents import CaseDocument
from indexing.embedder import load_embedder
from indexing.index_types import IndexUnavailableError
from indexing.vector_index import open_index
from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
from service.cli import app as cli
from service.db.base import utcnow
from service.db.engine import make_engine, make_session_factory
from service.db.migrate import upgrade
from service.indexjobs.claim_guard import OutboxBusyError, take_claim_guard
from service.indexjobs.consistency import index_status
from service.indexjobs.models import IndexJob, JobState
from service.indexjobs.worker import OutboxWorker
from service.search_engine.engine import SearchEngine
from service.settings import Settings
from tests.processes import LocalPostgres, free_port
from tests.support.databases import create_database


class RecordingIndexer:
    """The real indexer, plus a record of which cases each call indexed (and a fault to inject)."""

    def __init__(self, real: object, fail_case: int | None = None) -> None:
        self.real = real
        self.fail_case = fail_case
        self.indexed: list[int] = []
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def index_cases(self, docs: Sequence[CaseDocument]) -> int:
        if self.fail_case is not None and any(d.case_id == self.fail_case for d in docs):
            raise RuntimeError(f"passage trop long pour le modèle (cas {self.fail_case})")
        with self._lock:
            self.indexed += [d.case_id for d in docs]
            self.threads.add(threading.current_thread().name)
        return self.real.index_cases(docs)  # type: ignore[attr-defined,no-any-return]

    def remove_cases(self, case_ids: Sequence[int]) -> None:
        self.real.remove_cases(case_ids)  # type: ignore[attr-defined]


def _add_cases(url: str, n: int) -> list[int]:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        cases = [
            CaseStudy(
                slug=f"cas-{i}",
                title=f"Cas {i}",
                summary=f"Résumé {i}",
                status=ProjectStatus.deployed,
                publication_state=PublicationState.published,
            )
            for i in range(n)
        ]
        session.add_all(cases)
        session.commit()
        ids = [c.id for c in cases]
    engine.dispose()
    return ids


@pytest.mark.nodb  # its own PostgreSQL server: runs once, in the SQLite pass too
def test_concurrent_workers_on_postgresql_apply_each_job_exactly_once(
    local_postgres: LocalPostgres, tmp_path: Path
) -> None:
    url = create_database(local_postgres, "retex_claims")
    upgrade(url)
    ids = _add_cases(url, 240)  # one job per case: a case indexed twice = a job applied twice
    engine = make_engine(url, pool_size=8)
    factory = make_session_factory(engine)
    search = SearchEngine.open(Settings(data_dir=tmp_path, database_url=url, model="hashing"))
    recorder = RecordingIndexer(search.indexer)
    search.indexer = recorder  # type: ignore[assignment]
    start = threading.Barrier(4)

    def run() -> None:
        start.wait()
        OutboxWorker(factory, search, batch_size=4).run_until_idle()

    threads = [threading.Thread(target=run, name=f"worker-{n}") for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    try:
        counts = Counter(recorder.indexed)
        assert set(counts) == set(ids)
        assert set(counts.values()) == {1}, "no job was applied twice"
        assert len(recorder.threads) >= 2, "the work was shared between workers"
        with factory() as session:
            status = index_status(session, search)
        assert (status.backlog, status.indexed_cases) == (0, 240)
    finally:
        search.close()
        engine.dispose()


def test_a_failing_case_is_dead_lettered_with_its_reason_and_the_others_are_indexed(
    scratch_url: str, tmp_path: Path
) -> None:
    upgrade(scratch_url)
    ids = _add_cases(scratch_url, 10)
    poison = ids[3]
    engine = make_engine(scratch_url)
    factory = make_session_factory(engine)
    search = SearchEngine.open(Settings(data_dir=tmp_path, database_url=scratch_url, model="hashing"))
    search.indexer = RecordingIndexer(search.indexer, fail_case=poison)  # type: ignore[assignment]
    worker = OutboxWorker(factory, search, max_attempts=3)
    try:
        for _attempt in range(3):
            worker.run_until_idle()
            with factory() as session:  # let the backoff delay pass
                session.execute(update(IndexJob).values(available_at=utcnow()))
                session.commit()
        with factory() as session:
            (job,) = session.scalars(select(IndexJob)).all()
            status = index_status(session, search)
        assert (job.entity_id, job.state, job.attempts) == (poison, JobState.dead, 3)
        assert job.last_error == f"RuntimeError: passage trop long pour le modèle (cas {poison})"
        assert (status.indexed_cases, status.dead_jobs, status.backlog) == (9, 1, 0)
        assert worker.run_until_idle() == 0, "a dead job is not retried any more"
    finally:
        search.close()
        engine.dispose()


@pytest.mark.nodb
def test_sqlite_has_a_single_claimer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'retex.sqlite3'}"
    upgrade(url)
    guard = take_claim_guard(url)
    try:
        with pytest.raises(OutboxBusyError, match="applique déjà la file"):
            take_claim_guard(url)
        env = {"RETEX_DATABASE_URL": url, "RETEX_DATA_DIR": str(tmp_path), "RETEX_MODEL": "hashing"}
        result = CliRunner().invoke(cli, ["worker", "--until-idle"], env=env)
        assert result.exit_code == 2
        assert "applique déjà la file" in result.output
    finally:
        guard.release()
    take_claim_guard(url).release()  # free again once released


class UnreachableIndexServer(RecordingIndexer):
    """What the indexer raises while the Qdrant server is down (IndexUnavailableError)."""

    def index_cases(self, docs: Sequence[CaseDocument]) -> int:
        raise IndexUnavailableError("http://qdrant-1:6333", "connection refused")


def test_an_index_server_outage_is_retried_without_counting_attempts(
    scratch_url: str, tmp_path: Path
) -> None:
    upgrade(scratch_url)
    _add_cases(scratch_url, 5)
    engine = make_engine(scratch_url)
    factory = make_session_factory(engine)
    search = SearchEngine.open(Settings(data_dir=tmp_path, database_url=scratch_url, model="hashing"))
    real = search.indexer
    search.indexer = UnreachableIndexServer(real)  # type: ignore[assignment]
    worker = OutboxWorker(factory, search, max_attempts=1)
    try:
        for _ in range(3):
            with pytest.raises(IndexUnavailableError):
                worker.run_once()
        with factory() as session:
            jobs = session.scalars(select(IndexJob)).all()
        assert len(jobs) == 5
        assert {(j.state, j.attempts) for j in jobs} == {(JobState.pending, 0)}, "an outage kills no job"
        search.indexer = real  # the server is back
        assert worker.run_until_idle() == 5
        with factory() as session:
            assert index_status(session, search).consistent
    finally:
        search.close()
        engine.dispose()


@pytest.mark.nodb
def test_an_unreachable_qdrant_server_is_reported_as_unavailable(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(IndexUnavailableError, match="unreachable or not ready"):
        open_index(passages_spec(load_embedder("hashing", tmp_path)), url=url)
