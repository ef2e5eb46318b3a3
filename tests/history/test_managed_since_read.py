"""``history.read`` asks git when a team came under management only for the teams whose
decision depends on it: none once every team's period flows are reconciler movements, and a
team with an outside movement (or nothing allocated yet) as soon as it has one."""

from __future__ import annotations

import json

from reconciler import history
from reconciler.periods import period_at
from reconciler.workflow.budgets import locate
from reconciler.workflow.ledgers import observe
from tests.support.planning import m
from tests.support.workspace import COMMITTED, NOW_AT, Workspace


def _looked_up(workspace: Workspace) -> dict[str, object]:
    budgets = locate(workspace.budgets)
    period = period_at(budgets.desired.organization.period, NOW_AT)
    with workspace.ledger() as ledger:
        observed = observe(ledger, budgets.desired, period)
        facts, _ = history.read(
            budgets.directory,
            budgets.desired,
            ledger,
            observed,
            commit=budgets.commit,
            dirty=False,
            now=NOW_AT,
        )
    return dict(facts.managed_since)


def test_before_the_first_apply_every_team_is_looked_up(workspace: Workspace) -> None:
    assert _looked_up(workspace) == {"team_eng": COMMITTED, "team_ops": COMMITTED}


def test_after_an_apply_only_a_team_with_an_outside_movement_is(workspace: Workspace) -> None:
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    assert _looked_up(workspace) == {}
    with workspace.ledger() as ledger:
        ledger.allocate("team_ops", m(5), note="console top-up")
    assert _looked_up(workspace) == {"team_ops": COMMITTED}
    plan = json.loads(workspace.invoke("plan", "--format", "json").stdout)
    # made after the Team document was committed: drift, reported as such
    assert [(d["team_id"], d["amount"]) for d in plan["drift"]] == [("team_ops", "5.00")]
