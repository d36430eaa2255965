"""`retex serve --workers 2` on the embedded index (with the database of the pass: SQLite, then
PostgreSQL): two app processes share the index through the index host process, every write is
searchable from both, a dead host is started again, and a clean stop leaves the index whole for the
next start."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx

from indexing.case_index import passages_spec
from indexing.embedder import load_embedder
from indexing.vector_index import open_index
from service.indexjobs.appliers import FIRST_PASSAGES
from tests.processes import AppProcess

TOKEN = "workers-token"


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def marker(i: int) -> str:
    return "zq" + chr(ord("a") + i // 26) + chr(ord("a") + i % 26) + "rk"  # a word found nowhere else


def search_ids(base_url: str, word: str) -> list[int]:
    response = httpx.get(f"{base_url}/api/v1/search", params={"q": word, "mode": "lexical"}, timeout=30)
    assert response.status_code == 200, response.text
    return [item["case"]["id"] for item in response.json()["items"]]


def test_two_app_processes_share_the_embedded_index(scratch_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {
        "RETEX_DATABASE_URL": scratch_url,
        "RETEX_DATA_DIR": str(data),
        "RETEX_MODEL": "hashing",
        "RETEX_ADMIN_TOKEN": TOKEN,
        "RETEX_ANONYMOUS_SEARCHES_PER_MINUTE": "100000",
    }
    app = AppProcess(env, tmp_path / "serve.log", "--workers", "2").start()
    try:
        app.wait_healthy()
        assert app.proc is not None
        kids = children(app.proc.pid)
        hosts = [pid for pid in kids if "index-host" in command_line(pid)]
        assert len(hosts) == 1 and len(kids) >= 3, [command_line(p) for p in kids]

        headers = {"Authorization": f"Bearer {TOKEN}"}
        created: dict[int, int] = {}
        for i in range(12):  # connections spread over both processes
            case = {
                "title": f"Expérience {marker(i)}",
                "summary": f"Un service numérique repéré par le mot {marker(i)}.",
                "publication_state": "published",
            }
            response = httpx.post(
                f"{app.base_url}/api/v1/case-studies", json=case, headers=headers, timeout=30
            )
            assert response.status_code == 201, response.text
            created[i] = response.json()["id"]
        app.wait_converged()
        for i, case_id in created.items():
            assert search_ids(app.base_url, marker(i)) == [case_id]

        # The host is killed: the apps answer 503 (never 500) until it is back, then search again.
        os.kill(hosts[0], signal.SIGKILL)
        statuses: set[int] = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            response = httpx.get(f"{app.base_url}/api/v1/search", params={"q": marker(3)}, timeout=30)
            statuses.add(response.status_code)
            if response.status_code == 200 and response.json()["items"]:
                break
            time.sleep(0.1)
        assert statuses <= {200, 503}, statuses
        assert search_ids(app.base_url, marker(3)) == [created[3]]
        assert "redémarrage" in app.output()
    finally:
        assert app.stop() == 0, app.output()[-3000:]

    # Stopped cleanly: the index host closed the folder, which opens here with every case in it.
    spec = passages_spec(load_embedder("hashing", data))
    with open_index(spec, path=data / "index") as index:
        assert index.count(FIRST_PASSAGES) == len(created)
