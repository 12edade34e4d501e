"""The house rules of docs/architecture.md, checked on the source: layers, no import circles,
no import hidden inside a function."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "storage", "training")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> Iterator[tuple[str, bool]]:
    """(imported module, whether the import is at the module's top level). `from a import b`
    imports the module `a.b` when there is one, else a name of `a`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, id(node) in top
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                yield (submodule if submodule in MODULES else node.module), id(node) in top


def _internal(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for imported, _ in _imports(path):
            target = _internal(imported)
            if target is not None and target != name:
                graph[name].add(target)
    return graph


def test_the_project_has_no_import_circle() -> None:
    graph = _graph()
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            cycle = [*visiting[visiting.index(name) :], name]
            pytest.fail("import circle: " + " → ".join(cycle))
        visiting.append(name)
        for target in sorted(graph[name]):
            visit(target)
        visiting.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)


def test_no_project_module_is_imported_inside_a_function() -> None:
    """Such an import is how a circle is dodged; a lazy import of a heavy library is fine."""
    hidden = [
        f"{name} imports {imported}"
        for name, path in MODULES.items()
        for imported, at_top in _imports(path)
        if not at_top and _internal(imported) is not None
    ]
    assert hidden == []


FORBIDDEN = {
    "storage": ("bot", "handlers", "telegram"),
    "handlers": ("storage", "sqlalchemy"),
    "bot.services": ("sqlalchemy.orm", "sqlalchemy.sql", "handlers"),
    "bot.compose": ("storage", "bot.ingest", "bot.pipeline", "bot.services", "bot.deliver"),
    "bot.ingest": ("bot.compose", "bot.pipeline", "bot.services", "bot.deliver", "telegram"),
    "bot.text": ("storage", "bot.ingest", "bot.compose", "bot.pipeline", "bot.services"),
}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_each_layer_keeps_out_of_what_it_must_not_know(layer: str) -> None:
    leaks = []
    for name, path in MODULES.items():
        if name != layer and not name.startswith(f"{layer}."):
            continue
        for imported, _ in _imports(path):
            imported_top = imported.split(".")
            for banned in FORBIDDEN[layer]:
                if imported_top[: len(banned.split("."))] == banned.split("."):
                    leaks.append(f"{name} imports {imported}")
    assert leaks == []


def test_services_run_no_sql_of_their_own() -> None:
    """Queries live in storage/: services pass sessions on, they do not select or execute."""
    calls = []
    for name, path in MODULES.items():
        if not name.startswith("bot.services") and name not in {"bot.health"}:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"execute", "scalar", "scalars", "get", "refresh"}
                and ast.unparse(node.func.value) == "session"
            ):
                calls.append(f"{name}:{node.lineno} session.{node.func.attr}")
    assert calls == []
