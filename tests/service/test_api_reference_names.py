"""Partner API 2.0 (issue 20): every operation has a name a generated client can use as a method
(`searchCases`, `getCaseStudy`), unique, and a tag; the main operations show examples."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from service.app import create_app
from service.settings import Settings
from tests.support.paths import REPO

CAMEL = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)+$|^[a-z]+$")


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder: Path = tmp_path_factory.mktemp("names")
    settings = Settings(data_dir=folder, model="hashing", index_worker=False, email_sender=False)
    document: dict[str, Any] = create_app(settings).openapi()
    return document


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, item in spec["paths"].items() for m, op in item.items()]


def test_every_operation_has_a_unique_hand_named_id_and_a_tag(spec: dict[str, Any]) -> None:
    operations = _operations(spec)
    assert len(operations) > 80
    ids = [op["operationId"] for _, _, op in operations]
    generated = [i for i in ids if "api_v1" in i or "_" in i or not CAMEL.match(i)]
    assert not generated, generated
    assert len(set(ids)) == len(ids), sorted(i for i in ids if ids.count(i) > 1)
    untagged = [f"{m} {p}" for m, p, op in operations if not op.get("tags")]
    assert not untagged
    described = {t["name"] for t in spec["tags"]}
    assert {t for _, _, op in operations for t in op["tags"]} <= described


def test_the_main_operations_read_as_a_partner_would_call_them(spec: dict[str, Any]) -> None:
    by_route = {(m, p): op["operationId"] for m, p, op in _operations(spec)}
    assert by_route[("get", "/api/v1/search")] == "searchCases"
    assert by_route[("get", "/api/v1/territories")] == "listTerritories"
    assert by_route[("get", "/api/v1/case-studies/{case_id}")] == "getCaseStudy"
    assert by_route[("get", "/api/v1/case-studies")] == "listCaseStudies"


def test_the_main_operations_show_examples(spec: dict[str, Any]) -> None:
    search = spec["paths"]["/api/v1/search"]["get"]
    examples = {p["name"]: p.get("example") for p in search["parameters"]}
    assert examples["q"] == "mutualiser l'achat de logiciels"
    territory = spec["paths"]["/api/v1/territories/{code}"]["get"]
    assert territory["parameters"][0]["example"] == "83050"


def test_the_changelog_describes_the_published_version(spec: dict[str, Any]) -> None:
    changelog = (REPO / "docs" / "api-changelog.md").read_text(encoding="utf-8")
    assert f"## {spec['info']['version']} — " in changelog
    assert "Deprecation" in changelog and "Sunset" in changelog
