"""The layers as the import graph shows them (read with `ast`, every import counted, module level or
inside a function; another package's models/schemas and the kit make no edge): no package cycle in
service/, `indexing/` knows nothing of the app, and there is one index-job table."""

from __future__ import annotations

from pathlib import Path

import pytest

import service.db.models  # noqa: F401  (every table in Base.metadata)
from service.db.base import Base
from tests.support.import_graph import REPO, cycles, imports, package_graph

pytestmark = pytest.mark.nodb


def test_indexing_imports_nothing_of_the_app() -> None:
    bad = [
        f"{i.source} imports {i.target} (line {i.line})"
        for i in imports(REPO, "indexing")
        if i.target.split(".")[0] in {"service", "web"}
    ]
    assert bad == []


def test_the_indexing_pipeline_is_in_no_package_cycle() -> None:
    graph = package_graph()
    assert "indexjobs" in graph, "the graph reads service/indexjobs"
    assert [c for c in cycles(graph) if "indexjobs" in c] == []
    # The domains it indexes do not call back into search infrastructure or the pipeline.
    for domain in ("discussions", "territories", "casestudies"):
        assert not {"indexjobs"} & set(graph.get(domain, {})), domain
    assert "search" not in graph.get("discussions", {}), graph["discussions"].get("search")
    # The kit installs the pipeline's hooks, the partners' sync hooks (service/sync: updated_at of
    # child rows, removals) and their webhooks' hook (deliveries written with the change) on the session
    # factory, and replays the request's rate counters after a rollback (ratelimit is kit too: in no
    # cycle); it imports nothing else.
    assert {dst: sorted({i.target for i in edge}) for dst, edge in graph.get("db", {}).items()} == {
        "indexjobs": ["service.indexjobs.hooks"],
        "ratelimit": ["service.ratelimit.counters"],
        "sync": ["service.sync.hooks"],
        "webhooks": ["service.webhooks.hooks"],
    }
    assert [c for c in cycles(graph) if {"ratelimit", "sync", "webhooks"} & set(c)] == []


def test_search_infrastructure_sits_below_the_search_feature() -> None:
    # service/search_engine (engine, request-time embedding slots, indexed documents) and the indexing
    # pipeline never import the search feature (service/search: pipeline, API, filters): it uses them.
    graph = package_graph()
    assert "search_engine" in graph, "the graph reads service/search_engine"
    for infrastructure in ("search_engine", "indexjobs"):
        assert "search" not in graph.get(infrastructure, {}), graph[infrastructure].get("search")
    assert "search_engine" in graph.get("search", {})


def test_the_mail_transport_knows_no_feature() -> None:
    # The digests (a discussions feature) are handed to the sender by the app, not imported by it.
    graph = package_graph()
    assert {dst: sorted({i.target for i in edge}) for dst, edge in graph.get("emails", {}).items()} == {}


def test_no_module_imports_from_a_conftest() -> None:
    # conftest.py files hold fixtures; what tests import (people, log-in, pages…) lives in tests/support/.
    bad = [
        f"{i.source} imports {i.target} (line {i.line})"
        for i in imports(REPO, "tests")
        if "conftest" in i.target.split(".")
    ]
    assert bad == []


def test_migrations_import_no_application_code() -> None:
    # A migration must give the same result whatever the application becomes: it freezes what it needs.
    bad = [
        f"{i.source} imports {i.target} (line {i.line})"
        for i in imports(REPO, "service")
        if i.source.startswith("service.migrations.versions.")
        and i.target.split(".")[0] in {"service", "web", "indexing"}
    ]
    assert bad == []


def test_the_packages_of_service_form_no_cycle() -> None:
    # A lower layer never imports a higher one: `python -m tests.support.import_graph` shows the edges.
    assert cycles(package_graph()) == []


def test_web_reads_through_the_domains() -> None:
    # web/ builds no SQL: its pages call the domain functions of service/ (the text is read, comments too).
    files = sorted([*(REPO / "web").rglob("*.py"), *(REPO / "web" / "templates").rglob("*.html")])
    assert any(f.name == "cases.py" for f in files), "the test reads web/"
    bad = [str(f.relative_to(REPO)) for f in files if "select(" in f.read_text(encoding="utf-8")]
    assert bad == [], "move the query into the domain package it belongs to, under service/"


def test_web_routes_take_runtime_objects_as_dependencies() -> None:
    # Routes name what they need (PagePrincipal, PageSettings, PageSearch, PageOidc: web/dependencies.py)
    # instead of reading request.app.state or resolving the principal themselves.
    routes = sorted((REPO / "web" / "routes").glob("*.py"))
    assert len(routes) > 10, "the test reads web/routes/"
    bad = [
        f"{f.relative_to(REPO)}: {needle}"
        for f in routes
        for needle in ("app.state", "current_principal(")
        if needle in f.read_text(encoding="utf-8")
    ]
    assert bad == []


def test_one_index_job_table() -> None:
    assert [name for name in Base.metadata.tables if "index_jobs" in name] == ["index_jobs"]


def _write(root: Path, module: str, source: str) -> None:
    path = root / (module.replace(".", "/") + ".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(root).parents:
        (root / parent / "__init__.py").touch()
    path.write_text(source)


def test_the_graph_counts_function_imports_and_skips_shapes_and_the_kit(tmp_path: Path) -> None:
    _write(tmp_path, "service.a.service", "from service.b import logic\n")
    _write(tmp_path, "service.b.logic", "def f():\n    from service.a.service import x\n")
    _write(tmp_path, "service.c.api", "from service.d.models import M\nfrom service.db.engine import e\n")
    _write(tmp_path, "service.d.service", "import service.c.api\n")
    _write(tmp_path, "service.db.engine", "from service.c import api\n")
    graph = package_graph(tmp_path)
    assert cycles(graph) == [["a", "b"]]  # c -> d is a model import; c -> db imports the kit
    assert set(graph["b"]["a"][0].target.split(".")) >= {"a", "service"}
