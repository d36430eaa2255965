"""The import graph of the code base, read with `ast` (nothing is imported): every import counts,
at module level or inside a function. Used by tests/test_architecture.py; run it to print the package
cycles of service/: `python -m tests.support.import_graph`."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The shared kit: any package may import it, so imports of it make no package edge.
KIT = frozenset({"db", "api", "settings"})
# The shapes of the data: another domain's models/schemas may be imported anywhere.
SHAPES = frozenset({"models", "schemas"})


@dataclass(frozen=True, slots=True)
class Import:
    source: str  # importing module, e.g. "service.search.api"
    target: str  # imported module (or package), e.g. "service.discussions.indexing"
    line: int


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(root: Path, top: str) -> dict[str, Path]:
    return {module_name(root, p): p for p in sorted((root / top).rglob("*.py"))}


def imports(root: Path, *tops: str) -> Iterator[Import]:
    """Every import in the modules under the given top-level folders, resolved to the most precise
    known module (`from service.search_engine import engine` -> service.search_engine.engine)."""
    known: dict[str, Path] = {}
    for top in tops:
        known.update(_modules(root, top))
    for source, path in known.items():
        package = source if path.name == "__init__.py" else source.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(source, alias.name, node.lineno)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    yield Import(source, full if full in known else base, node.lineno)


def service_package(module: str) -> str | None:
    """service.search.api -> "search"; service.cli -> "cli"; anything else -> None."""
    parts = module.split(".")
    return parts[1] if parts[0] == "service" and len(parts) > 1 else None


def package_graph(root: Path = REPO) -> dict[str, dict[str, list[Import]]]:
    """Edges between the packages of service/, each with the imports that make it (the kit and
    another package's models/schemas make none)."""
    graph: dict[str, dict[str, list[Import]]] = {}
    for imp in imports(root, "service"):
        src, dst = service_package(imp.source), service_package(imp.target)
        if src is None or dst is None or src == dst or dst in KIT:
            continue
        if len(imp.target.split(".")) > 2 and imp.target.split(".")[2] in SHAPES:
            continue
        graph.setdefault(src, {}).setdefault(dst, []).append(imp)
    return graph


def cycles(graph: dict[str, dict[str, list[Import]]]) -> list[list[str]]:
    """The strongly connected components of more than one package (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    nodes = sorted(set(graph) | {d for edges in graph.values() for d in edges})

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, {})):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in nodes:
        if node not in index:
            visit(node)
    return sorted(found)


if __name__ == "__main__":
    graph = package_graph()
    if not cycles(graph):
        print("no package cycle in service/")
    for component in cycles(graph):
        print("cycle:", ", ".join(component))
        for src in component:
            for dst in sorted(set(graph.get(src, {})) & set(component)):
                first = graph[src][dst][0]
                print(f"  {src} -> {dst}  ({first.source} imports {first.target}, line {first.line})")
