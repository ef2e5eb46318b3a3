"""The sample organization in budgets/ (the demo uses it) is valid and says what it holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.config import load
from reconciler.model import DriftPolicy, Mode
from reconciler.periods import PeriodKind

SUMMARY = "6 teams, 6 consumer groups, Σ envelopes 41,000.00 USD per month, headroom 5,000.00"


@pytest.fixture
def in_repo(repo_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(repo_root)
    return repo_root


@pytest.mark.usefixtures("in_repo")
def test_sample_budgets_validate_with_the_summary_line() -> None:
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 0
    assert result.stdout == SUMMARY + "\n"
    assert result.stderr == ""


@pytest.mark.usefixtures("in_repo")
def test_sample_budgets_json_summary() -> None:
    result = CliRunner().invoke(cli, ["validate", "budgets", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "format_version": 1,
        "valid": True,
        "summary": {
            "org_id": "org_acme",
            "period": "monthly",
            "teams": 6,
            "removed_teams": 0,
            "consumer_groups": 6,
            "envelopes_total": "41000.00",
            "headroom": "5000.00",
            "currency": "USD",
        },
        "counts": {"errors": 0, "warnings": 0},
        "diagnostics": [],
    }


def test_sample_budgets_model(in_repo: Path) -> None:
    state, warnings = load(Path("budgets"))
    assert warnings == ()
    assert state.root == in_repo / "budgets"
    org = state.organization
    assert (org.id, org.period, org.headroom) == ("org_acme", PeriodKind.MONTHLY, 5_000_000_000)
    assert org.ledger == "sqlite:///.reconciler/sandbox.db"
    assert org.guards.max_movement_per_apply == 50_000_000_000
    assert org.guards.max_reclaim_per_apply == 20_000_000_000
    assert [t.id for t in state.teams] == sorted(t.id for t in state.teams)
    engineering = state.team("team_engineering")
    assert engineering is not None
    assert engineering.envelope == 12_000_000_000
    assert engineering.location is not None
    assert str(engineering.location) == "budgets/teams/engineering.yaml:5:1"
    assert {t.id for t in state.teams if t.rollover} == {"team_research"}
    assert {t.id for t in state.teams if t.protect} == {"team_support"}
    assert {t.id for t in state.teams if t.mode is Mode.BALANCE} == {"team_data_platform"}
    assert {t.id for t in state.teams if t.drift is DriftPolicy.CORRECT} == {"team_data_platform"}
    assert state.gateway is not None
    assert state.gateway.wallet_enforcement is True
    assert {g.wallet_team_id for g in state.gateway.consumer_groups} == {t.id for t in state.teams}


def test_every_sample_file_points_editors_at_its_schema(repo_root: Path) -> None:
    kinds = {
        "Organization": "organization",
        "Team": "team",
        "GatewayConfig": "gateway-config",
    }
    files = sorted((repo_root / "budgets").rglob("*.yaml"))
    assert len(files) == 8
    for path in files:
        text = path.read_text(encoding="utf-8")
        first = text.splitlines()[0]
        kind = next(line.split(": ")[1] for line in text.splitlines() if line.startswith("kind:"))
        prefix = "# yaml-language-server: $schema="
        assert first.startswith(prefix), path
        schema = (path.parent / first.removeprefix(prefix)).resolve()
        assert schema == repo_root / "schemas" / f"{kinds[kind]}.schema.json", path
