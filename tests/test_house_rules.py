"""The rules of the house (DESIGN §10), read from the package's own imports with ``ast``.

- ``planning/`` does no I/O: it imports neither ``ledger.http``, ``sandbox``, ``render``,
  ``commands``, ``workflow``, ``executor``, ``git`` nor ``config`` (git's answers reach it as
  the ``history.History`` value) and is handed observations, never the ``Ledger`` itself;
- ``ledger/`` (the client) never imports ``sandbox/`` (the stand-in);
- the leaves import no other part of reconciler but leaves;
- nothing below ``commands/`` imports ``commands/`` or ``cli``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"
LEAVES = ("money", "clock", "periods", "notes", "exactjson", "text", "errors")


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every reconciler module ``path`` imports, anywhere in the file (lazy imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {name for name in found if name.split(".")[0] == "reconciler"}


GRAPH = {_module(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _under(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _offenders(importer: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if _under(module, importer)
        for target in targets
        if _under(target, *forbidden)
    )


def test_the_graph_sees_the_whole_package() -> None:
    assert "reconciler.planning.planner" in GRAPH
    assert "reconciler.sandbox.ledger" in GRAPH
    assert "reconciler.ledger.http" in GRAPH


def test_planning_imports_no_io() -> None:
    forbidden = (
        "reconciler.ledger.http",
        "reconciler.sandbox",
        "reconciler.render",
        "reconciler.commands",
        "reconciler.cli",
        "reconciler.workflow",
        "reconciler.executor",
        "reconciler.git",
        "reconciler.config",
    )
    assert _offenders("reconciler.planning", forbidden) == []


def test_planning_is_handed_observations_never_the_ledger() -> None:
    """The workflow reads the ledger and passes what it saw; planning only gets values."""
    assert _offenders("reconciler.planning", ("reconciler.ledger.base.Ledger",)) == []


def test_the_ledger_client_never_imports_the_sandbox() -> None:
    assert _offenders("reconciler.ledger", ("reconciler.sandbox",)) == []


@pytest.mark.parametrize("leaf", LEAVES)
def test_a_leaf_imports_only_leaves(leaf: str) -> None:
    others = tuple(f"reconciler.{name}" for name in LEAVES if name != leaf)
    imported = {t for t in GRAPH[f"reconciler.{leaf}"] if t != "reconciler"}
    assert sorted(t for t in imported if not _under(t, *others)) == []


def test_only_the_command_line_imports_commands() -> None:
    outside = [m for m in GRAPH if not _under(m, "reconciler.commands", "reconciler.cli")]
    assert [
        f"{m} imports {t}"
        for m in outside
        for t in GRAPH[m]
        if _under(t, "reconciler.commands", "reconciler.cli") and m != "reconciler.__main__"
    ] == []


def test_renderers_do_not_reach_for_io() -> None:
    forbidden = (
        "reconciler.ledger.http",
        "reconciler.sandbox",
        "reconciler.commands",
        "reconciler.workflow",
        "reconciler.git",
    )
    assert _offenders("reconciler.render", forbidden) == []
