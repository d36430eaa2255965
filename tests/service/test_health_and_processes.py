"""/healthz and /readyz, and a second process on the embedded index refused with a clear error
(`retex serve --workers N` shares it through the index host: tests/service/test_serve_workers_embedded.py)."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from indexing.case_index import passages_spec
from indexing.embedder import load_embedder
from indexing.vector_index import open_index
from service.cli import app as cli
from tests.processes import AppProcess


def test_healthz_says_the_process_answers(client: TestClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_reports_backlog_and_index_lag_until_the_worker_catches_up(
    client: TestClient, app: FastAPI, admin_headers: dict[str, str]
) -> None:
    app.state.outbox_worker.run_until_idle()
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready" and body["database"] == {"ok": True}
    assert body["index"]["consistent"] is True
    assert body["index"]["indexed_cases"] == body["index"]["published_cases"] > 0

    new = {"title": "Cas de santé", "summary": "Vérifie /readyz.", "publication_state": "published"}
    created = client.post("/api/v1/case-studies", json=new, headers=admin_headers)
    assert created.status_code == 201
    lagging = client.get("/readyz").json()["index"]
    assert lagging["backlog"] >= 1 and lagging["difference"] == -1 and lagging["consistent"] is False

    app.state.outbox_worker.run_until_idle()
    caught_up = client.get("/readyz").json()["index"]
    assert caught_up["consistent"] is True
    assert caught_up["indexed_cases"] == lagging["published_cases"]
    client.delete(f"/api/v1/case-studies/{created.json()['id']}", headers=admin_headers)
    app.state.outbox_worker.run_until_idle()


def test_a_second_process_on_the_embedded_index_gets_a_clear_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'retex.sqlite3'}"
    env = {"RETEX_DATABASE_URL": url, "RETEX_DATA_DIR": str(tmp_path), "RETEX_MODEL": "hashing"}
    spec = passages_spec(load_embedder("hashing", tmp_path))
    # The index held open here stands for `retex serve` (the lock is per open, in this process too).
    with open_index(spec, path=tmp_path / "index"):
        result = CliRunner().invoke(cli, ["worker", "--until-idle"], env=env)
    assert result.exit_code == 2
    assert "déjà ouvert par un autre processus" in result.output
    assert "RETEX_QDRANT_URL" in result.output


def test_a_second_serve_on_the_same_embedded_index_stops_with_a_clear_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'retex.sqlite3'}"
    env = {"RETEX_DATABASE_URL": url, "RETEX_DATA_DIR": str(tmp_path), "RETEX_MODEL": "hashing"}
    first = AppProcess(env, tmp_path / "first.log").start()
    second = AppProcess(env, tmp_path / "second.log")
    try:
        first.wait_healthy()
        second.start()
        assert second.wait(timeout=120) != 0
        assert "already open by another process" in second.output()
        assert "RETEX_QDRANT_URL" in second.output()
        assert first.running and httpx.get(f"{first.base_url}/readyz").status_code == 200
    finally:
        second.stop()
        first.stop()
