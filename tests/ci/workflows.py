"""The shipped GitHub workflows and composite action, loaded for the tests in this package."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTION = ROOT / ".github" / "actions" / "reconciler" / "action.yml"
RECONCILER_ACTION = "$/.github/actions/reconciler"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
BUDGET_WORKFLOWS = ("budgets-plan.yml", "budgets-apply.yml")


def load(path: Path) -> dict[str, Any]:
    """A workflow or action as a mapping. YAML 1.1 reads the key ``on`` as ``True``: renamed."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    if True in data:
        data["on"] = data.pop(True)
    return data


def workflow(name: str) -> dict[str, Any]:
    return load(WORKFLOWS / name)


def steps(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every step of a workflow's jobs, or of a composite action."""
    if "runs" in document:
        yield from document["runs"]["steps"]
        return
    for job in document["jobs"].values():
        yield from job.get("steps", [])


def reconciler_steps(name: str) -> list[dict[str, Any]]:
    return [s for s in steps(workflow(name)) if s.get("uses") == RECONCILER_ACTION]


def tool(name: str) -> str:
    """A console script installed beside this Python (the dev extras)."""
    path = Path(sys.executable).parent / name
    assert path.exists(), f"{name} is missing: pip install -e '.[dev]'"
    return str(path)
