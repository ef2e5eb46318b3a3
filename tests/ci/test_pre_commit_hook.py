"""``.pre-commit-hooks.yaml``: the ``reconciler-validate`` hook, run by pre-commit itself.

``pre-commit try-repo`` installs this repository into a hook environment exactly as a budgets
repository's ``.pre-commit-config.yaml`` would (uncommitted changes included), then runs the
hook there. Building that environment installs reconciler from the package index once per run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from tests.ci.workflows import ROOT
from tests.support.budgets import organization_doc, team_doc, write_budgets
from tests.support.git_repo import GitRepo

COMMITTED = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def test_the_hook_is_declared_for_budget_files() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "reconciler-validate"
    assert hook["entry"] == "reconciler validate"
    assert hook["language"] == "python"
    assert hook["files"] == "^budgets/"
    assert hook["pass_filenames"] is False  # validate reads the whole directory


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(repo: GitRepo, home: Path) -> subprocess.CompletedProcess[str]:
    # pip, inside pre-commit's hook environment build, checks TLS certificates against the real
    # clock: the suite's moved wall clock stays out (offline validate reads no clock)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PYTEST_WALL_CLOCK"}
    }
    env.update(PRE_COMMIT_HOME=str(home), NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "reconciler-validate"],
        cwd=repo.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def budgets_repo(root: Path, envelope: str) -> GitRepo:
    """A repository with one commit and the budgets staged for the next one (what a hook sees)."""
    repo = GitRepo.init(root)
    repo.write("README.md", "budgets\n")
    repo.commit("start", when=COMMITTED)
    write_budgets(
        repo.root / "budgets",
        organization=organization_doc("org_hooks"),
        teams=[team_doc("team_a", "300.00"), team_doc("team_b", envelope)],
    )
    repo.git("add", "-A")
    return repo


def test_valid_budgets_pass_the_hook(tmp_path: Path, pre_commit_home: Path) -> None:
    repo = budgets_repo(tmp_path / "repo", "200.00")
    result = try_repo(repo, pre_commit_home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "reconciler validate" in result.stdout
    assert "Passed" in result.stdout


def test_invalid_budgets_fail_the_hook_with_the_reason(
    tmp_path: Path, pre_commit_home: Path
) -> None:
    repo = budgets_repo(tmp_path / "repo", "-5.00")
    result = try_repo(repo, pre_commit_home)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Failed" in result.stdout
    assert "- hook id: reconciler-validate" in result.stdout
    assert "budgets/teams/team_b.yaml:5:11: teams[team_b].envelope: -5.00 is negative" in (
        result.stdout
    )
