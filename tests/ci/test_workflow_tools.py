"""The workflows and the composite action pass GitHub's schema and the zizmor audit."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.ci.workflows import ACTION, ROOT, WORKFLOW_FILES, tool


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)


def test_the_budget_workflows_and_ci_are_all_checked() -> None:
    names = {path.name for path in WORKFLOW_FILES}
    assert {"budgets-plan.yml", "budgets-apply.yml", "ci.yml"} <= names
    assert "budgets.yml" not in names


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflow_matches_githubs_workflow_schema(path: Path) -> None:
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_composite_action_matches_githubs_action_schema() -> None:
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(ACTION))
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    """The schema check has teeth: a job without runs-on is refused."""
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    steps:\n      - run: echo\n", encoding="utf-8")
    result = run(
        tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(broken)
    )
    assert result.returncode != 0


def test_zizmor_finds_nothing_at_its_default_level() -> None:
    result = run(tool("zizmor"), "--offline", "--no-progress", ".github/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_zizmor_flags_what_the_old_workflow_did(tmp_path: Path) -> None:
    """The audit has teeth: a tag pin, a persisted token and ``${{ }}`` in a script are found."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "old.yml").write_text(
        "on: pull_request\npermissions: {}\njobs:\n  plan:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/checkout@v4\n"
        '      - run: echo "${{ github.head_ref }}"\n',
        encoding="utf-8",
    )
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", ".github/"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    out = result.stdout + result.stderr
    assert result.returncode != 0
    for audit in ("unpinned-uses", "artipacked", "template-injection"):
        assert audit in out, out
