"""SIGKILL the indexing worker in the middle of 300 cases: after a restart every published case is
searchable exactly once and no job is lost (real model, real embedded index, the suite's database)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from indexing.case_index import passages_spec
from indexing.embedder import load_embedder
from indexing.vector_index import open_index
from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
from service.db.engine import make_engine, make_session_factory
from service.db.migrate import upgrade
from service.indexjobs.models import IndexJob
from tests.support.model_dir import data_dir_with_model

N_CASES = 300
N_DRAFTS = 20


def _worker(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", "worker", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_worker_killed_mid_indexing_loses_nothing_and_duplicates_nothing(
    scratch_url: str, tmp_path: Path, packaged_model_dir: Path
) -> None:
    url = scratch_url
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as session:
        for i in range(N_CASES + N_DRAFTS):
            session.add(
                CaseStudy(
                    slug=f"cas-{i}",
                    title=f"Expérience numéro {i} d'une commune",
                    summary=f"Résumé de l'expérience {i} : un service numérique pour les habitants.",
                    status=ProjectStatus.deployed,
                    publication_state=PublicationState.published if i < N_CASES else PublicationState.draft,
                )
            )
        session.commit()
        assert session.scalar(select(func.count(IndexJob.id))) == N_CASES + N_DRAFTS

    data_dir = data_dir_with_model(tmp_path / "data", packaged_model_dir)
    env = {
        "RETEX_DATABASE_URL": url,
        "RETEX_DATA_DIR": str(data_dir),
        "RETEX_MODEL": "packaged:multilingual-e5-small",
    }
    worker = _worker(env)
    deadline = time.monotonic() + 240
    remaining = N_CASES + N_DRAFTS
    try:
        # Kill once some batches are committed, well before the end.
        while time.monotonic() < deadline:
            time.sleep(0.2)
            with factory() as session:
                remaining = session.scalar(select(func.count(IndexJob.id))) or 0
            if remaining <= N_CASES + N_DRAFTS - 64:
                break
        assert worker.poll() is None, worker.communicate()[0]
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert 0 < remaining < N_CASES, "the kill landed in the middle of the work"

    restarted = _worker(env, "--until-idle")
    output, _ = restarted.communicate(timeout=600)
    assert restarted.returncode == 0, output

    with factory() as session:
        assert session.scalar(select(func.count(IndexJob.id))) == 0
        published = set(
            session.scalars(
                select(CaseStudy.id).where(CaseStudy.publication_state == PublicationState.published)
            )
        )
    engine.dispose()
    embedder = load_embedder("packaged:multilingual-e5-small", data_dir)
    with open_index(passages_spec(embedder), path=data_dir / "index") as index:
        per_case = Counter(int(p["case_id"]) for _, p in index.scroll_payloads(["case_id"]))
        assert set(per_case) == published, "every published case is indexed, no draft is"
        assert set(per_case.values()) == {1}, "each case's single passage is there exactly once"
        assert index.count() == N_CASES
        hits = index.query(
            dense=embedder.embed_query("Expérience numéro 123"), sparse=None, flt=None, limit=1, mode="dense"
        )
        assert hits
