"""A plan lists every team whose envelope is projected to run out before the period ends."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from reconciler.sandbox.ledger import SqliteLedger
from tests.support.clocks import TickingClock
from tests.support.planning import m
from tests.support.workspace import Workspace


def spend(workspace: Workspace, team_id: str, amount: int) -> None:
    """Settle ``amount`` dollars of gateway spend for ``team_id`` on 2026-11-05."""
    with workspace.ledger() as ledger:
        ledger.configure_gateway({team_id: team_id}, True)
    clock = TickingClock(datetime(2026, 11, 5, 10, tzinfo=UTC))
    with SqliteLedger(workspace.db, clock=clock) as ledger:
        held = ledger.reserve("r1", m(amount), consumer_group=team_id)
        ledger.settle(held.reservation_id, m(amount))


def test_plan_text_json_and_markdown_name_a_team_that_runs_out_early(
    workspace: Workspace,
) -> None:
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    spend(workspace, "team_eng", 700)  # 700.00 in 14.5 days: 48.28 a day, 1,200.00 by Nov 25
    text = workspace.invoke("plan")
    assert text.exit_code == 0, text.output
    assert (
        "Forecast (envelopes projected to run out before the period ends; moves no money):"
        in text.stdout
    )
    assert "team_eng  runs out on 2026-11-25  5 days early  projected 1,448.275862 of 1,200.00" in (
        text.stdout
    )
    assert "team_ops" not in text.stdout.split("Forecast")[1]
    document = json.loads(workspace.invoke("plan", "--format", "json").stdout)
    assert document["exhaustion"] == [
        {
            "team_id": "team_eng",
            "runs_out": "2026-11-25",
            "days_early": 5,
            "projected_spend": "1448.275862",
            "envelope": "1200.00",
        }
    ]
    markdown = workspace.invoke("plan", "--format", "markdown").stdout
    assert (
        "> - team\\_eng runs out on 2026-11-25, 5 days early (projected 1,448.275862 of 1,200.00)"
        in (markdown)
    )


def test_a_saved_plan_with_a_forecast_shows_and_applies(workspace: Workspace) -> None:
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    spend(workspace, "team_eng", 700)
    assert workspace.invoke("plan", "--out", "plan.json").exit_code == 0
    shown = workspace.invoke("show", "plan.json")
    assert shown.exit_code == 0, shown.output
    assert "team_eng  runs out on 2026-11-25" in shown.stdout
    applied = workspace.invoke("apply", "plan.json", "--auto-approve")
    assert applied.exit_code == 0, applied.output


def test_no_spend_no_forecast_section(workspace: Workspace) -> None:
    result = workspace.invoke("plan", "--format", "json")
    assert "exhaustion" not in json.loads(result.stdout)
    assert "Forecast" not in workspace.invoke("plan").stdout
