"""What the budget workflows promise: when they run, with which token, and what they never do."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.ci.workflows import (
    ACTION,
    BUDGET_WORKFLOWS,
    WORKFLOW_FILES,
    WORKFLOWS,
    load,
    reconciler_steps,
    steps,
    workflow,
)

EXPRESSION = re.compile(r"\$\{\{")


def checkouts(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in steps(document) if str(s.get("uses", "")).startswith("actions/checkout@")]


@pytest.mark.parametrize("path", [*WORKFLOW_FILES, ACTION], ids=lambda p: p.name)
def test_no_expression_is_expanded_inside_a_script(path: Any) -> None:
    """``${{ }}`` in ``run:`` is pasted into the shell text (template injection): use env."""
    scripts = [s["run"] for s in steps(load(path)) if "run" in s]
    assert scripts
    assert [s for s in scripts if EXPRESSION.search(s)] == []


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_checkouts_keep_full_history_and_no_credentials(path: Any) -> None:
    found = checkouts(load(path))
    assert found
    for step in found:
        assert step["with"]["persist-credentials"] is False
        assert step["with"]["fetch-depth"] == 0


@pytest.mark.parametrize("name", BUDGET_WORKFLOWS)
def test_budget_workflows_grant_nothing_by_default(name: str) -> None:
    assert workflow(name)["permissions"] == {}


def test_plan_runs_on_budget_pull_requests_one_run_per_pr() -> None:
    plan = workflow("budgets-plan.yml")
    assert plan["on"] == {"pull_request": {"paths": ["budgets/**"]}}
    assert plan["concurrency"]["cancel-in-progress"] is True
    assert "github.event.pull_request.number" in plan["concurrency"]["group"]
    assert plan["jobs"]["plan"]["permissions"] == {"contents": "read", "pull-requests": "write"}


def test_plan_uses_the_read_token_and_never_the_billing_token() -> None:
    text = (WORKFLOWS / "budgets-plan.yml").read_text("utf-8")
    assert set(re.findall(r"secrets\.\w+[^}]*", text)) == {"secrets.KEEPTRUSTS_READ_TOKEN "}
    plan = reconciler_steps("budgets-plan.yml")[1]
    assert plan["env"] == {"KEEPTRUSTS_API_TOKEN": "${{ secrets.KEEPTRUSTS_READ_TOKEN }}"}
    guard = next(
        s for s in steps(workflow("budgets-plan.yml")) if s.get("name") == "Check the read token"
    )
    assert "KEEPTRUSTS_READ_TOKEN" in guard["run"]
    assert "exit 1" in guard["run"]


def test_plan_validates_then_plans_markdown_where_changes_are_not_a_failure() -> None:
    validate, plan = (s["with"] for s in reconciler_steps("budgets-plan.yml"))
    assert validate["command"] == "validate --format github"
    assert plan["command"].startswith("plan --format markdown --detailed-exitcode --out plan.json")
    assert plan["allowed-exit-codes"].split() == ["0", "2"]
    assert plan["output"] == "plan.md"


def test_plan_keeps_one_sticky_comment_the_summary_and_the_plan_file() -> None:
    all_steps = list(steps(workflow("budgets-plan.yml")))
    sticky = [s for s in all_steps if str(s.get("uses", "")).startswith("marocchino/")]
    assert len(sticky) == 1
    assert sticky[0]["with"] == {
        "header": "reconciler-plan",
        "path": "plan.md",
    }
    assert any("GITHUB_STEP_SUMMARY" in s.get("run", "") for s in all_steps)
    upload = [s for s in all_steps if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert [s["with"]["path"] for s in upload] == ["plan.json"]


def test_apply_runs_after_merge_at_each_period_start_and_by_hand() -> None:
    apply = workflow("budgets-apply.yml")
    assert apply["on"]["push"] == {"branches": ["main"], "paths": ["budgets/**"]}
    assert "workflow_dispatch" in apply["on"]
    crons = [entry["cron"] for entry in apply["on"]["schedule"]]
    assert "23 0 1 * *" in crons  # minutes after the 1st's 00:00 UTC: monthly and quarterly
    condition = apply["jobs"]["apply"]["if"]
    # a manual run and a push pass the event test; only the period-start schedule applies
    assert "github.event_name != 'schedule'" in condition
    assert "github.event.schedule == '23 0 1 * *'" in condition
    assert "push" not in condition
    assert "workflow_dispatch" not in condition


def test_apply_is_serialised_protected_and_reported() -> None:
    job = workflow("budgets-apply.yml")["jobs"]["apply"]
    assert job["concurrency"] == {"group": "reconciler-apply", "cancel-in-progress": False}
    assert job["environment"] == "budgets"
    assert job["permissions"] == {"contents": "read", "statuses": "write"}
    (apply,) = reconciler_steps("budgets-apply.yml")[:1]
    assert apply["with"]["command"] == "apply --auto-approve --result apply-result.json"
    assert apply["env"] == {"KEEPTRUSTS_API_TOKEN": "${{ secrets.KEEPTRUSTS_API_TOKEN }}"}
    uploads = [
        s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@")
    ]
    assert uploads[0]["with"]["path"] == "apply-result.json"
    assert uploads[0]["if"] == "always()"
    status = next(s for s in job["steps"] if "statuses/" in s.get("run", ""))
    assert status["if"] == "always()"
    assert status["env"]["SHA"] == "${{ github.sha }}"


def test_drift_runs_daily_with_the_read_token_and_fails_on_drift() -> None:
    apply = workflow("budgets-apply.yml")
    crons = [entry["cron"] for entry in apply["on"]["schedule"]]
    assert "41 6 * * *" in crons
    job = apply["jobs"]["drift"]
    assert "github.event.schedule == '41 6 * * *'" in job["if"]
    assert job["permissions"] == {"contents": "read"}
    assert "environment" not in job
    (drift,) = [s for s in job["steps"] if s.get("with", {}).get("command", "").startswith("drift")]
    assert drift["with"] == {"command": "drift --detailed-exitcode"}  # exit 2 fails the job
    assert drift["env"] == {"KEEPTRUSTS_API_TOKEN": "${{ secrets.KEEPTRUSTS_READ_TOKEN }}"}
