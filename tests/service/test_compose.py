"""compose.yaml (not runnable here: no container engine) stays consistent with the settings."""

from __future__ import annotations

import yaml

from service.settings import Settings
from tests.conftest import REPO


def test_compose_describes_app_postgres_and_qdrant_with_volumes() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    services = compose["services"]
    assert {"app", "postgres", "qdrant"} <= set(services)
    env = services["app"]["environment"]
    assert env["RETEX_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert env["RETEX_QDRANT_URL"] == "http://qdrant:6333"
    for name in env:
        field = name.removeprefix("RETEX_").lower()
        assert field in Settings.model_fields, f"{name} is not a Retex setting"
    assert services["qdrant"]["image"].startswith("qdrant/qdrant:")
    assert services["app"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    declared = set(compose["volumes"])
    for service in services.values():
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in declared
