"""Validating a budgets directory of 500 team files, with the libyaml C loader (what users get)
and with PyYAML's pure-Python loader. Compare the two figures of one run as a ratio."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pytest_benchmark.fixture import BenchmarkFixture

from reconciler.config import validate_dir, yamlload
from tests.support.budgets import organization_doc, team_doc, write_budgets

TEAMS = 500


@pytest.fixture(scope="module")
def budgets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    teams = [team_doc(f"team_{i:04d}", f"{1000 + i}.00") for i in range(TEAMS)]
    root = tmp_path_factory.mktemp("bench") / "budgets"
    write_budgets(root, organization=organization_doc(), teams=teams)
    return root


def test_validate_500_teams_c_loader(benchmark: BenchmarkFixture, budgets: Path) -> None:
    assert yamlload.LOADER is yaml.CSafeLoader
    report = benchmark(validate_dir, budgets)
    assert report.ok
    assert report.state is not None
    assert len(report.state.teams) == TEAMS


def test_validate_500_teams_pure_python_loader(
    benchmark: BenchmarkFixture, budgets: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yamlload, "LOADER", yaml.SafeLoader)
    report = benchmark(validate_dir, budgets)
    assert report.ok
