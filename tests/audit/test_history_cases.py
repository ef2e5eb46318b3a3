"""audit on rewritten history and on a shallow clone, through the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import timedelta

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from tests.audit.conftest import NOW_AT, Workspace


def test_force_pushed_commit_is_not_on_branch(workspace: Workspace) -> None:
    workspace.write_teams(team_eng="1300.00", team_ops="300.00")
    workspace.repo.commit("Raise eng (#5)", when=NOW_AT - timedelta(days=1))
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    lost = workspace.repo.head()
    workspace.repo.git("reset", "--quiet", "--hard", "HEAD~1")  # the branch is rewritten
    doc = json.loads(workspace.invoke("audit", "--format", "json").output)
    assert [
        (r["commit"] == lost, r["commit_found"], r["on_branch"], r["pr"]) for r in doc["movements"]
    ] == [(True, True, False, 5), (True, True, False, 5)]
    kinds = [f["kind"] for f in doc["findings"]]
    assert kinds == ["not_on_branch", "not_on_branch", "unapplied", "unapplied"]
    assert workspace.invoke("audit", "--strict").exit_code == 2


def test_shallow_clone_exits_1_with_the_fix(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.write_teams(team_eng="1300.00", team_ops="300.00")
    workspace.repo.commit("Raise eng", when=NOW_AT - timedelta(days=1))
    clone = workspace.repo.root.parent / "shallow"
    subprocess.run(
        ["git", "clone", "--quiet", "--depth=1", f"file://{workspace.repo.root}", str(clone)],
        check=True,
    )
    shutil.copytree(workspace.db.parent, clone / ".reconciler")
    monkeypatch.chdir(clone)
    for command in (["audit"], ["blame", "team_eng"]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 1, result.output
        assert "shallow clone" in result.output
        assert "fetch-depth: 0" in result.output
