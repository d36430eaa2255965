"""The index folder deleted, damaged or left behind the database while the app was stopped: start-up
detects it and the worker rebuilds it from the database (the source of truth)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexing.case_index import PASSAGES_COLLECTION, passages_spec
from indexing.embedder import load_embedder
from indexing.index_types import FieldFilter
from indexing.vector_index import open_index
from service.app import create_app
from service.db.migrate import upgrade
from service.settings import Settings

TOKEN = "index-damage-token"
N_CASES = 20


def _wait_consistent(client: TestClient, expected: int, timeout: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        index = client.get("/readyz").json()["index"]
        if index.get("consistent") and index["indexed_cases"] == expected:
            return index
        time.sleep(0.1)
    raise TimeoutError(client.get("/readyz").json())


def _damage(kind: str, folder: Path, data: Path) -> None:
    if kind == "deleted":
        shutil.rmtree(folder)
    elif kind == "corrupted":
        for segment_file in folder.rglob("segment.json"):
            segment_file.write_bytes(os.urandom(256))
    else:  # "behind": an older copy, e.g. restored from a backup, lacks the last cases
        with open_index(passages_spec(load_embedder("hashing", data)), path=folder.parent) as index:
            index.delete_where(FieldFilter(ranges={"case_id": (N_CASES - 4, None)}))


@pytest.mark.parametrize("kind", ["deleted", "corrupted", "behind"])
def test_start_up_rebuilds_a_damaged_index_from_the_database(
    kind: str, scratch_url: str, tmp_path: Path
) -> None:
    upgrade(scratch_url)
    data = tmp_path / "data"
    settings = Settings(data_dir=data, database_url=scratch_url, model="hashing", admin_token=TOKEN)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(settings)) as client:
        for i in range(N_CASES):
            body = {
                "title": f"Cas {i}",
                "summary": f"Résumé {i} ventilation",
                "publication_state": "published",
            }
            assert client.post("/api/v1/case-studies", json=body, headers=auth).status_code == 201
        _wait_consistent(client, N_CASES)

    folder = settings.resolved_index_path / PASSAGES_COLLECTION
    _damage(kind, folder, data)

    with TestClient(create_app(settings)) as client:
        index = _wait_consistent(client, N_CASES)
        assert index["difference"] == 0 and index["dead_jobs"] == 0
        hits = client.get("/api/v1/search", params={"q": "ventilation", "page_size": 50}).json()["items"]
        assert len(hits) == N_CASES
    moved_aside = list(folder.parent.glob(f"{PASSAGES_COLLECTION}.damaged-*"))
    assert len(moved_aside) == (1 if kind == "corrupted" else 0), "a damaged index is kept for inspection"
