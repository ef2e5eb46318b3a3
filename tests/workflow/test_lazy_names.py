"""``reconciler.workflow`` re-exports every use case, but imports a use case's module only when
one of its names is first used: a plain ``plan`` starts without the executor, the audit, the
importer or the what-if replay."""

from __future__ import annotations

import importlib
import subprocess
import sys

from reconciler import workflow
from tests.support.workspace import Workspace

LOADED = """
import atexit, sys
HEAVY = ("reconciler.executor", "reconciler.audit", "reconciler.importer", "reconciler.whatif")
atexit.register(lambda: print("LOADED", *[m for m in HEAVY if m in sys.modules], file=sys.stderr))
sys.argv = ["reconciler", *sys.argv[1:]]
from reconciler.cli import main
main()
"""


def _loaded(*args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    run = subprocess.run(
        [sys.executable, "-c", LOADED, *args], capture_output=True, text=True, check=False
    )
    line = next(x for x in run.stderr.splitlines() if x.startswith("LOADED"))
    return run, line.split()[1:]


def test_every_name_is_its_modules_own() -> None:
    assert sorted(workflow._HOME) == sorted(workflow.__all__)
    for name, module in workflow._HOME.items():
        home = importlib.import_module(f"reconciler.workflow.{module}")
        assert getattr(workflow, name) is getattr(home, name), name


def test_a_plan_loads_no_use_case_it_does_not_run(workspace: Workspace) -> None:
    run, loaded = _loaded("plan", "budgets")
    assert run.returncode == 0, run.stderr
    assert "team_eng" in run.stdout
    assert loaded == []
    run, loaded = _loaded("plan", "budgets", "--whatif", "1")
    assert run.returncode == 0, run.stderr
    assert "reconciler.whatif" in loaded  # loaded when the plan asks for it
    run, loaded = _loaded("apply", "budgets", "--auto-approve")
    assert run.returncode == 0, run.stderr
    assert "reconciler.executor" in loaded
