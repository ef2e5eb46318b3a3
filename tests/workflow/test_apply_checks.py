from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reconciler import executor
from reconciler.errors import PartialApplyError, PlanError
from reconciler.model import Mode
from reconciler.render.apply import summary
from reconciler.workflow import check_empty, verdict
from tests.support.executing import Clock, make_plan, sandbox
from tests.support.planning import desired, m, organization, team


def test_a_plan_left_after_the_run_fails_loudly_listing_what_remains(tmp_path: Path) -> None:
    clock = Clock()
    ledger = sandbox(tmp_path / "l.db", clock)
    state = desired(organization(), *(team(f"team_{i}", 10 * (i + 1)) for i in range(7)))
    remaining = make_plan(state, ledger, clock)
    nothing = executor.ApplyResult(remaining.plan_id, remaining.commit, ())
    with pytest.raises(PlanError) as err:
        check_empty(remaining, nothing, state)
    assert str(err.value) == (
        "apply finished but the plan is not empty: 7 change(s) remain (allocate 10.00 team_0; "
        "allocate 20.00 team_1; allocate 30.00 team_2; allocate 40.00 team_3; allocate 50.00 "
        "team_4; and 2 more): run `reconciler plan` to see why"
    )
    assert check_empty(replace(remaining, changes=()), nothing, state) == ()


def test_summary_counts_resumed_movements_and_reclaims_with_nothing_left(
    tmp_path: Path,
) -> None:
    clock = Clock()
    ledger = sandbox(tmp_path / "l.db", clock)
    first = desired(organization(), team("team_a", 100), team("team_b", 50))
    executor.apply(make_plan(first, ledger, clock), ledger, clock=clock)
    second = desired(organization(), team("team_a", 150), team("team_b", 40), team("team_c", 5))
    plan = make_plan(second, ledger, clock)
    assert [(c.team_id, c.action.value) for c in plan.changes] == [
        ("team_b", "reclaim"),
        ("team_a", "allocate"),
        ("team_c", "allocate"),
    ]
    executor.apply(replace(plan, changes=plan.changes[1:2]), ledger, clock=clock)
    hold = ledger.reserve("r", m(50), team_id="team_b")  # b spends everything meanwhile
    ledger.settle(hold.reservation_id, m(50))

    result = executor.apply(plan, ledger, clock=clock)

    assert result.steps[0].detail == "nothing left to reclaim (available 0.00)"
    assert summary(result) == (
        "Applied 1 movement (allocated 5.00, reclaimed 0.00) at commit c0ffee0; "
        "1 already in the ledger; 1 reclaim(s) had nothing left to take; plan is now empty"
    )
    verdict(result)


def test_verdict_is_exit_3_only_when_something_moved(tmp_path: Path) -> None:
    clock = Clock()
    ledger = sandbox(tmp_path / "l.db", clock, credit=11_000)
    state = desired(organization(headroom=5000), team("team_a", 1000), team("team_b", 4500))
    plan = make_plan(state, ledger, clock)
    ledger.allocate("team_other", m(1000), note="console")
    result = executor.apply(plan, ledger, clock=clock)
    with pytest.raises(PartialApplyError) as err:
        verdict(result)
    assert str(err.value) == (
        "applied 1 of 2 movements, 1 not made: team_b: allocating 4,500.00 would take the "
        "organization wallet to 4,500.00, below headroom 5,000.00: credit the organization "
        "wallet and re-run"
    )
    assert err.value.exit_code == 3


def test_a_balance_mode_team_spending_during_the_apply_is_a_note_not_a_failure(
    tmp_path: Path,
) -> None:
    clock = Clock()
    ledger = sandbox(tmp_path / "l.db", clock)
    state = desired(
        organization(), team("team_live", 500, mode=Mode.BALANCE), team("team_quiet", 100)
    )
    plan = make_plan(state, ledger, clock)

    def traffic(step: executor.StepResult, done: int, total: int) -> None:
        if step.change.team_id == "team_live":
            ledger.reserve("in-flight", m("12.50"), team_id="team_live")

    result = executor.apply(plan, ledger, clock=clock, progress=traffic)
    after = make_plan(state, ledger, clock)
    assert [(c.team_id, c.amount) for c in after.changes] == [("team_live", m("12.50"))]
    assert check_empty(after, result, state) == (
        "team_live (balance mode): spend or holds during the apply changed its available "
        "balance; the next apply will allocate 12.50 team_live",
    )
    not_moved = replace(result, steps=())
    with pytest.raises(PlanError, match=r"1 change\(s\) remain \(allocate 12.50 team_live\)"):
        check_empty(after, not_moved, state)
