"""Reading a budgets directory (on disk or in memory) runs no cyclic garbage collection: the
collector is paused from the first file read to the model, and runs again afterwards."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.config import Report, validate_dir, validate_files
from tests.support.budgets import gateway_doc, organization_doc, team_doc, write_budgets

TEAMS = 300  # enough new objects to set the collector off many times over, if it ran


@pytest.fixture
def collections() -> Iterator[list[int]]:
    started: list[int] = []

    def record(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started.append(info["generation"])

    gc.callbacks.append(record)
    try:
        yield started
    finally:
        gc.callbacks.remove(record)


@pytest.fixture
def budgets(tmp_path: Path) -> Path:
    ids = [f"team_{i:03d}" for i in range(TEAMS)]
    return write_budgets(
        tmp_path / "budgets",
        organization=organization_doc("org_x"),
        teams=[team_doc(team_id, "10.00") for team_id in ids],
        gateway=gateway_doc({f"cg_{team_id}": team_id for team_id in ids}),
    )


def _in_memory(budgets: Path) -> Callable[[], Report]:
    files = [(p.relative_to(budgets).as_posix(), p.read_bytes()) for p in budgets.rglob("*.yaml")]
    return lambda: validate_files(budgets, files)


@pytest.mark.parametrize("how", ["on disk", "in memory"])
def test_no_collection_runs_while_budgets_are_read_and_the_collector_runs_after(
    budgets: Path, collections: list[int], how: str
) -> None:
    read: Callable[[], Report] = (
        (lambda: validate_dir(budgets)) if how == "on disk" else _in_memory(budgets)
    )
    assert gc.isenabled()
    report = read()
    assert report.state is not None
    assert len(report.state.teams) == TEAMS
    assert collections == []
    assert gc.isenabled()
    kept: list[list[object]] = [
        [] for _ in range(10_000)
    ]  # containers that stay: they set the collector off
    assert collections != []
    assert len(kept) == 10_000
