"""The multi-process deployment (compose.yaml): `retex serve` without its in-process worker, and
`retex worker` as a process of its own. A case and a discussion thread created through the API both
become searchable once the worker ran, and /readyz shows each kind's jobs until then.

The embedded index is held by one process at a time (no Qdrant server here), so the two processes take
turns on it: serve (writes queue jobs) -> worker (applies them) -> serve again (searches)."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import httpx
from sqlalchemy import func, select

from service.accounts.models import Role
from service.db.engine import make_engine, make_session_factory
from service.db.migrate import upgrade
from service.indexjobs.models import IndexJob
from tests.processes import AppProcess, RetexProcess
from tests.service.accounts_support import bearer, new_person

TOKEN = "operator-token"


def test_the_separate_worker_makes_cases_and_threads_searchable(scratch_url: str, tmp_path: Path) -> None:
    upgrade(scratch_url)
    engine = make_engine(scratch_url)
    person = new_person(engine, role=Role.admin)
    word = "zq" + uuid.uuid4().hex[:6].translate(str.maketrans("0123456789", "ghijklmnop")) + "rk"
    env = {
        "RETEX_DATABASE_URL": scratch_url,
        "RETEX_DATA_DIR": str(tmp_path / "data"),
        "RETEX_MODEL": "hashing",
        "RETEX_ADMIN_TOKEN": TOKEN,
        "RETEX_INDEX_WORKER": "false",  # serve applies nothing: the worker process must
    }
    serve = AppProcess(env, tmp_path / "serve1.log").start()
    try:
        serve.wait_healthy()
        with httpx.Client(base_url=serve.base_url, timeout=30) as http:
            case = http.post(
                "/api/v1/case-studies",
                json={
                    "title": f"Portail citoyen {word}",
                    "summary": f"Un portail ouvert, mot repère {word}.",
                    "publication_state": "published",
                },
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            assert case.status_code == 201, case.text
            thread = http.post(
                f"/api/v1/case-studies/{case.json()['id']}/threads",
                json={"title": f"Question sur {word}", "body": f"Comment avez-vous déployé {word} ?"},
                headers=bearer(person),
            )
            assert thread.status_code == 201, thread.text
            kinds = serve.readyz()["index"]["kinds"]
        assert kinds["case"]["backlog"] >= 1 and kinds["thread"]["backlog"] >= 1, kinds
    finally:
        serve.stop()

    worker = RetexProcess(["worker", "--until-idle"], env, tmp_path / "worker.log").start()
    try:
        assert worker.wait(timeout=120) == 0, worker.output()[-3000:]
    except subprocess.TimeoutExpired:
        worker.stop()
        raise
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count(IndexJob.id))) == 0, "every kind's jobs were applied"
    engine.dispose()

    serve = AppProcess(env, tmp_path / "serve2.log").start()
    try:
        serve.wait_healthy()
        index = serve.readyz()["index"]
        assert index["consistent"] is True, index
        assert index["kinds"]["thread"] == {
            "expected": 1,
            "indexed": 1,
            "difference": 0,
            "backlog": 0,
            "dead_jobs": 0,
            "consistent": True,
        }
        found = httpx.get(f"{serve.base_url}/api/v1/search", params={"q": word}, timeout=30).json()
        assert [hit["case"]["id"] for hit in found["items"]] == [case.json()["id"]]
        assert [hit["id"] for hit in found["discussions"]] == [thread.json()["id"]]
    finally:
        serve.stop()
