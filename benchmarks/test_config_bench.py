"""Validating a budgets directory of 500 team files, with the libyaml C loader (what users get)
and with PyYAML's pure-Python loader, beside the bare libyaml parse of the same files (the
figure validate is measured against: compare the figures of one run as ratios). The compiled
schema check and jsonschema, which only explains a failure, are measured on one document."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pytest_benchmark.fixture import BenchmarkFixture

from reconciler.config import schema, validate_dir, yamlload
from reconciler.config.nodes import Document, to_plain
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


def test_bare_libyaml_parse_of_the_same_500_teams(
    benchmark: BenchmarkFixture, budgets: Path
) -> None:
    files = sorted(budgets.rglob("*.yaml"))

    def parse() -> int:
        documents = 0
        for path in files:
            with path.open("rb") as handle:
                documents += len(list(yaml.load_all(handle, Loader=yaml.CSafeLoader)))
        return documents

    assert benchmark(parse) >= TEAMS


@pytest.fixture(scope="module")
def team_document(budgets: Path) -> Document:
    (document,), _problems = yamlload.compose(
        (budgets / "teams" / "team_0000.yaml").read_text("utf-8"), "team.yaml"
    )
    return document


def test_compiled_schema_check_of_one_team(
    benchmark: BenchmarkFixture, team_document: Document
) -> None:
    assert benchmark(schema._COMPILED["Team"], team_document.root)


def test_jsonschema_check_of_one_team(benchmark: BenchmarkFixture, team_document: Document) -> None:
    validator = schema._validator("Team")
    assert benchmark(lambda: list(validator.iter_errors(to_plain(team_document.root)))) == []
