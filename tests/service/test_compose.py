"""compose.yaml (not runnable here: no container engine) stays consistent with the code: every variable is
a Retex setting, the app runs several processes, the Qdrant
nodes form one cluster that can hold 2 copies of each shard, and everything has a healthcheck."""

from __future__ import annotations

from typing import Any

import yaml

from service.app import create_app
from service.cli import app as cli
from service.settings import Settings
from tests.support.paths import REPO


def _compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load((REPO / "compose.yaml").read_text())
    return compose


def _option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_app_workers_and_indexing_worker_share_postgresql_and_the_qdrant_cluster() -> None:
    services = _compose()["services"]
    app, worker = services["app"], services["worker"]
    assert app["command"][:2] == ["retex", "serve"] and worker["command"] == ["retex", "worker"]
    commands = {c.name or (c.callback.__name__ if c.callback else "") for c in cli.registered_commands}
    assert commands >= {"serve", "worker"}
    for service in (app, worker):
        env = service["environment"]
        for name in env:
            assert name.removeprefix("RETEX_").lower() in Settings.model_fields, f"{name} is not a setting"
        assert env["RETEX_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["RETEX_QDRANT_URL"] == "http://qdrant-1:6333"
    assert app["environment"]["RETEX_INDEX_WORKER"] == "false", "indexing runs in the worker service"
    assert int(_option(app["command"], "--workers")) > 1


def test_qdrant_runs_as_a_three_node_cluster_with_two_copies_of_each_shard() -> None:
    services = _compose()["services"]
    nodes = sorted(name for name in services if name.startswith("qdrant-"))
    assert nodes == ["qdrant-1", "qdrant-2", "qdrant-3"]
    first_uri = _option(services["qdrant-1"]["command"], "--uri")
    for name in nodes:
        node = services[name]
        assert node["image"].startswith("qdrant/qdrant:v")
        assert node["environment"]["QDRANT__CLUSTER__ENABLED"] == "true"
        assert _option(node["command"], "--uri") == f"http://{name}:6335"
        if name != "qdrant-1":
            assert _option(node["command"], "--bootstrap") == first_uri
    env = services["app"]["environment"]
    replicas, shards = int(env["RETEX_QDRANT_REPLICATION_FACTOR"]), int(env["RETEX_QDRANT_SHARDS"])
    assert 2 <= replicas <= len(nodes), "a node can be lost without losing a shard"
    assert shards >= len(nodes)


def test_every_long_running_service_has_a_healthcheck_and_volumes_are_declared(tmp_path: Any) -> None:
    compose = _compose()
    services = compose["services"]
    for name in ("app", "postgres", "qdrant-1", "qdrant-2", "qdrant-3"):
        assert services[name]["healthcheck"]["test"], name
    assert "/readyz" in " ".join(services["app"]["healthcheck"]["test"])
    assert "/readyz" in " ".join(services["qdrant-1"]["healthcheck"]["test"])
    paths = create_app(Settings(data_dir=tmp_path)).openapi()["paths"]
    assert {"/healthz", "/readyz"} <= set(paths)
    for name in ("app", "worker"):
        for dependency, condition in services[name]["depends_on"].items():
            assert condition["condition"] == "service_healthy", (name, dependency)
    declared = set(compose["volumes"])
    for service in services.values():
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in declared
