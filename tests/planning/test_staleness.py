from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler import executor
from reconciler.errors import StalePlanError
from reconciler.executor import StepStatus
from reconciler.planning.types import Action
from tests.support.executing import Clock, check_saved, make_plan, sandbox
from tests.support.planning import COMMIT, OTHER_COMMIT, desired, m, organization, team


def test_a_plan_for_an_ended_period_is_stale(tmp_path: Path) -> None:
    clock = Clock()
    ledger = sandbox(tmp_path / "l.db", clock)
    state = desired(organization(), team("team_eng", 100))
    plan = make_plan(state, ledger, clock)
    check_saved(plan, ledger, COMMIT, clock(), state)
    with pytest.raises(StalePlanError) as err:
        check_saved(plan, ledger, COMMIT, datetime(2026, 12, 1, tzinfo=UTC), state)
    assert str(err.value) == (
        f"plan {plan.plan_id} is for period 2026-11, which ended 2026-12-01: "
        "run `reconciler plan` again"
    )


def test_a_plan_made_at_another_commit_is_stale(tmp_path: Path) -> None:
    clock = Clock()
    ledger = sandbox(tmp_path / "l.db", clock)
    state = desired(organization(), team("team_eng", 100))
    plan = make_plan(state, ledger, clock)
    with pytest.raises(StalePlanError) as err:
        check_saved(plan, ledger, OTHER_COMMIT, clock(), state)
    assert str(err.value) == (
        f"plan {plan.plan_id} was made at commit c0ffee0 but HEAD is now beefbee: "
        "run `reconciler plan` again"
    )


def test_a_console_allocation_on_a_touched_team_makes_the_plan_stale(tmp_path: Path) -> None:
    clock = Clock()
    ledger = sandbox(tmp_path / "l.db", clock)
    state = desired(organization(), team("team_eng", 100), team("team_ops", 50))
    plan = make_plan(state, ledger, clock)
    ledger.allocate("team_ops", m(5), note="console", actor="bob")
    with pytest.raises(StalePlanError) as err:
        check_saved(plan, ledger, COMMIT, clock(), state)
    assert str(err.value) == (
        f"plan {plan.plan_id} is stale: team_ops's allocation flows changed since the plan "
        "(0 flow(s) then, 1 now; newest: allocation_in +5.00 at 2026-11-15T12:00:00+00:00 by "
        "bob note 'console'); run `reconciler plan` again"
    )


def test_spend_alone_never_makes_a_plan_stale(tmp_path: Path) -> None:
    clock = Clock()
    ledger = sandbox(tmp_path / "l.db", clock)
    state = desired(organization(), team("team_eng", 1000))
    executor.apply(make_plan(state, ledger, clock), ledger, clock=clock)
    lowered = desired(organization(), team("team_eng", 400))
    plan = make_plan(lowered, ledger, clock)
    hold = ledger.reserve("r1", m(300), team_id="team_eng")
    ledger.settle(hold.reservation_id, m(250))
    ledger.reserve("r2", m(100), team_id="team_eng")  # still held
    check_saved(plan, ledger, COMMIT, clock(), lowered)


def test_a_partly_applied_plan_is_not_stale(tmp_path: Path) -> None:
    clock = Clock()
    ledger = sandbox(tmp_path / "l.db", clock)
    state = desired(organization(), team("team_eng", 100), team("team_ops", 50))
    plan = make_plan(state, ledger, clock)
    executor.apply(replace(plan, changes=plan.changes[:1]), ledger, clock=clock)
    check_saved(plan, ledger, COMMIT, clock(), state)


def test_a_new_month_funds_each_team_again_without_rollover(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
    ledger = sandbox(tmp_path / "l.db", clock)
    state = desired(organization(), team("team_eng", 1000), team("team_ops", 500))
    november = make_plan(state, ledger, clock)
    executor.apply(november, ledger, clock=clock)
    hold = ledger.reserve("r1", m(400), team_id="team_eng")
    ledger.settle(hold.reservation_id, m(300))  # eng spent 300, ops nothing

    assert make_plan(state, ledger, clock).changes == ()  # spend never moves money in-period
    clock.now = datetime(2026, 12, 1, 0, 0, 1, tzinfo=UTC)
    with pytest.raises(StalePlanError, match="period 2026-11, which ended 2026-12-01"):
        check_saved(november, ledger, COMMIT, clock(), state)
    december = make_plan(state, ledger, clock)

    assert december.period.id == "2026-12"
    assert [(c.team_id, c.action, c.amount) for c in december.changes] == [
        ("team_eng", Action.ALLOCATE, m(300)),
    ]
    executor.apply(december, ledger, clock=clock)
    assert ledger.team_wallet("team_eng").balance == m(1000)  # type: ignore[union-attr]
    assert ledger.team_wallet("team_ops").balance == m(500)  # type: ignore[union-attr]
    assert make_plan(state, ledger, clock).changes == ()


def test_a_lowered_envelope_at_a_new_month_takes_back_the_carry(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 11, 3, tzinfo=UTC))
    ledger = sandbox(tmp_path / "l.db", clock)
    executor.apply(
        make_plan(desired(organization(), team("team_eng", 1000)), ledger, clock),
        ledger,
        clock=clock,
    )
    clock.now = datetime(2026, 12, 2, tzinfo=UTC)
    plan = make_plan(desired(organization(), team("team_eng", 600)), ledger, clock)
    assert [(c.action, c.amount) for c in plan.changes] == [(Action.RECLAIM, m(400))]


def test_rollover_keeps_the_remainder_and_adds_the_envelope(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 11, 3, tzinfo=UTC))
    ledger = sandbox(tmp_path / "l.db", clock)
    state = desired(organization(), team("team_eng", 1000, rollover=True))
    executor.apply(make_plan(state, ledger, clock), ledger, clock=clock)
    hold = ledger.reserve("r1", m(250), team_id="team_eng")
    ledger.settle(hold.reservation_id, m(250))

    clock.now = datetime(2026, 12, 1, 8, tzinfo=UTC)
    december = make_plan(state, ledger, clock)
    assert [(c.action, c.amount) for c in december.changes] == [(Action.ALLOCATE, m(1000))]
    result = executor.apply(december, ledger, clock=clock)
    assert [s.status for s in result.steps] == [StepStatus.APPLIED]
    assert ledger.team_wallet("team_eng").balance == m(1750)  # type: ignore[union-attr]
    assert ledger.check() == []


def test_an_apply_that_crosses_the_period_end_stops_there(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC))
    ledger = sandbox(tmp_path / "l.db", clock)
    plan = make_plan(desired(organization(), team("team_a", 10), team("team_b", 20)), ledger, clock)

    def midnight(step: executor.StepResult, done: int, total: int) -> None:
        clock.now = datetime(2026, 12, 1, tzinfo=UTC)

    # one at a time: midnight strikes between the two movements
    result = executor.apply(plan, ledger, clock=clock, progress=midnight, concurrency=1)

    first, second = result.steps
    assert first.status is StepStatus.APPLIED
    assert second.status is StepStatus.FAILED
    assert second.detail == (
        "period 2026-11 ended at 2026-12-01T00:00:00+00:00 during the apply: run "
        "`reconciler plan` again for the new period"
    )
