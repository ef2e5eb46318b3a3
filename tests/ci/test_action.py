"""The composite action: its inputs, the commands the workflows give it, and its script run for
real against a budgets repository and a sandbox ledger."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pytest

from reconciler.cli import cli
from reconciler.sandbox.ledger import SqliteLedger
from tests.ci.workflows import ACTION, BUDGET_WORKFLOWS, load, reconciler_steps
from tests.support.budgets import organization_doc, team_doc, write_budgets
from tests.support.git_repo import GitRepo
from tests.support.sqlite_ledger import ManualClock, usd

CREATED = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
COMMITTED = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
PLANNED = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


def action_inputs() -> dict[str, Any]:
    inputs: dict[str, Any] = load(ACTION)["inputs"]
    return inputs


def workflow_commands() -> list[str]:
    return [s["with"]["command"] for name in BUDGET_WORKFLOWS for s in reconciler_steps(name)]


def test_action_declares_the_inputs_the_workflows_rely_on() -> None:
    inputs = action_inputs()
    assert set(inputs) == {
        "command",
        "budgets-directory",
        "ledger-url",
        "python-version",
        "install",
        "install-from",
        "output",
        "allowed-exit-codes",
    }
    assert inputs["command"]["required"] is True
    assert inputs["budgets-directory"]["default"] == "budgets"
    assert inputs["python-version"]["default"] == "3.12"
    assert "token" not in " ".join(inputs).lower()  # the token travels in env, never an input


@pytest.mark.parametrize("name", BUDGET_WORKFLOWS)
def test_workflows_pass_only_declared_inputs(name: str) -> None:
    declared = set(action_inputs())
    for step in reconciler_steps(name):
        assert set(step["with"]) <= declared
        assert "command" in step["with"]


@pytest.mark.parametrize("command", workflow_commands())
def test_every_command_a_workflow_runs_parses_with_the_real_cli(command: str) -> None:
    words = command.replace("${{ github.base_ref }}", "main").split()
    sub = cli.get_command(click.Context(cli), words[0])
    assert sub is not None, f"reconciler has no command {words[0]!r}"
    sub.make_context(words[0], [*words[1:], "budgets"], parent=click.Context(cli))


def run_script() -> str:
    (step,) = [s for s in load(ACTION)["runs"]["steps"] if s.get("id") == "run"]
    script: str = step["run"]
    return script


def run_action(workdir: Path, tmp_path: Path, **inputs: str) -> tuple[int, str, str]:
    """The action's run step under bash, with its inputs as the env GitHub would give it."""
    github_output = tmp_path / "github_output"
    github_output.write_text("", encoding="utf-8")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(github_output),
        "RECONCILER_NOW": PLANNED.isoformat(),
        "RECONCILER_COMMAND": inputs["command"],
        "BUDGETS_DIR": inputs.get("budgets-directory", "budgets"),
        "LEDGER_URL": inputs.get("ledger-url", ""),
        "OUTPUT_FILE": inputs.get("output", ""),
        "ALLOWED": inputs.get("allowed-exit-codes", "0"),
    }
    result = subprocess.run(
        ["bash", "-e", "-c", run_script()],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode, github_output.read_text(encoding="utf-8"), result.stdout


@pytest.fixture
def budgets_repo(tmp_path: Path) -> tuple[GitRepo, str]:
    """A committed budgets repository for org_ci and an empty-walleted sandbox ledger."""
    repo = GitRepo.init(tmp_path / "repo")
    write_budgets(
        repo.root / "budgets",
        organization=organization_doc("org_ci"),
        teams=[team_doc("team_a", "300.00"), team_doc("team_b", "200.00")],
    )
    repo.commit("budgets", when=COMMITTED)
    db = tmp_path / "ledger.db"
    with SqliteLedger.create(db, "org_ci", clock=ManualClock(CREATED)) as ledger:
        ledger.credit(usd("1000.00"), note="top-up")
    return repo, f"sqlite:///{db}"


def test_validate_through_the_action(budgets_repo: tuple[GitRepo, str], tmp_path: Path) -> None:
    repo, _ = budgets_repo
    code, outputs, _ = run_action(repo.root, tmp_path, command="validate --format github")
    assert code == 0
    assert outputs == "exit-code=0\n"


def test_invalid_budgets_fail_the_step_with_annotations(
    budgets_repo: tuple[GitRepo, str], tmp_path: Path
) -> None:
    repo, _ = budgets_repo
    repo.write("budgets/teams/team_a.yaml", "apiVersion: reconciler/v1\nkind: Team\nid: team_a\n")
    code, outputs, stdout = run_action(repo.root, tmp_path, command="validate --format github")
    assert code == 1
    assert outputs == "exit-code=1\n"
    assert "::error file=" in stdout
    assert "::error::reconciler validate exited 1" in stdout


def test_plan_with_changes_is_exit_2_and_not_a_failure_when_allowed(
    budgets_repo: tuple[GitRepo, str], tmp_path: Path
) -> None:
    repo, url = budgets_repo
    code, outputs, _ = run_action(
        repo.root,
        tmp_path,
        command="plan --format markdown --detailed-exitcode --out plan.json",
        **{"ledger-url": url, "output": "plan.md", "allowed-exit-codes": "0 2"},
    )
    assert code == 0
    assert outputs == "exit-code=2\n"
    markdown = (repo.root / "plan.md").read_text(encoding="utf-8")
    assert markdown.startswith("### Σ envelopes 0.00 → 500.00 (+500.00)\n")
    assert "| Allocate total | 500.00 |" in markdown
    assert (repo.root / "plan.json").exists()


def test_plan_with_changes_fails_where_exit_2_is_not_allowed(
    budgets_repo: tuple[GitRepo, str], tmp_path: Path
) -> None:
    """What the drift job relies on: --detailed-exitcode's 2 fails the step by default."""
    repo, url = budgets_repo
    code, outputs, stdout = run_action(
        repo.root, tmp_path, command="plan --detailed-exitcode", **{"ledger-url": url}
    )
    assert code == 2
    assert outputs == "exit-code=2\n"
    assert "::error::reconciler plan exited 2" in stdout
