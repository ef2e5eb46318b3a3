from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from reconciler import executor, notes
from reconciler.errors import AmbiguousWrite, LedgerUnavailable
from reconciler.executor import StepStatus
from reconciler.ledger.base import EntryType, Transaction
from reconciler.ledger.retry import RetryPolicy
from reconciler.planning.types import Action
from reconciler.render.apply import result_document
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.executing import Clock, make_plan, sandbox
from tests.support.planning import COMMIT, desired, m, organization, team

NO_WAIT = RetryPolicy(sleep=lambda _seconds: None)


def three_teams() -> object:
    return desired(
        organization(headroom=5000),
        team("team_eng", 12000),
        team("team_ops", 3000),
        team("team_support", 2500),
    )


def team_entries(ledger: SqliteLedger, team_id: str) -> list[Transaction]:
    wallet = ledger.team_wallet(team_id)
    assert wallet is not None
    return list(ledger.transactions(wallet.id))


def test_apply_moves_exactly_the_plan_with_parseable_notes(tmp_path: Path) -> None:
    clock = Clock()
    ledger = sandbox(tmp_path / "l.db", clock)
    state = three_teams()
    plan = make_plan(state, ledger, clock)  # type: ignore[arg-type]
    assert [(c.team_id, c.amount) for c in plan.changes] == [
        ("team_eng", m(12000)),
        ("team_ops", m(3000)),
        ("team_support", m(2500)),
    ]

    result = executor.apply(plan, ledger, clock=clock)

    assert result.complete
    assert [s.status for s in result.steps] == [StepStatus.APPLIED] * 3
    assert result.total(Action.ALLOCATE) == m(17500)
    for change in plan.changes:
        (entry,) = team_entries(ledger, change.team_id)
        assert entry.type is EntryType.ALLOCATION_IN
        assert entry.amount == change.amount
        note = notes.parse_note(entry.note)
        assert note == notes.Note(
            commit=COMMIT,
            plan_id=plan.plan_id,
            op_key=change.op_key,
            team_id=change.team_id,
            period_id="2026-11",
        )
    assert ledger.organization_wallet().available == m(100_000 - 17500)
    assert make_plan(state, ledger, clock).changes == ()  # type: ignore[arg-type]
    assert ledger.check() == []
    doc = result_document(result)
    assert doc["summary"] == {
        "applied": 3,
        "skipped": 0,
        "failed": 0,
        "unknown": 0,
        "not_attempted": 0,
        "allocated_total": "17500.00",
        "reclaimed_total": "0.00",
    }


def test_dirty_and_override_are_written_into_the_note(tmp_path: Path) -> None:
    clock = Clock()
    ledger = sandbox(tmp_path / "l.db", clock)
    state = desired(organization(), team("team_eng", 100))
    plan = make_plan(state, ledger, clock, dirty=True, override_reason='big "Q4" push')
    executor.apply(plan, ledger, clock=clock)
    (entry,) = team_entries(ledger, "team_eng")
    assert entry.note == (
        f"reconciler/v1 commit={COMMIT} plan={plan.plan_id} op={plan.changes[0].op_key} "
        'team=team_eng period=2026-11 dirty override="big \\"Q4\\" push"'
    )


def test_rerunning_a_partly_applied_plan_resumes_without_doubling(tmp_path: Path) -> None:
    clock = Clock()
    ledger = sandbox(tmp_path / "l.db", clock)
    state = three_teams()
    plan = make_plan(state, ledger, clock)  # type: ignore[arg-type]
    first = executor.apply(replace(plan, changes=plan.changes[:2]), ledger, clock=clock)
    assert [s.status for s in first.steps] == [StepStatus.APPLIED] * 2

    second = executor.apply(plan, ledger, clock=clock)

    assert [s.status for s in second.steps] == [
        StepStatus.SKIPPED,
        StepStatus.SKIPPED,
        StepStatus.APPLIED,
    ]
    assert second.steps[0].detail.startswith("already in the ledger (")
    for change in plan.changes:
        assert sum(e.amount for e in team_entries(ledger, change.team_id)) == change.amount
    assert ledger.check() == []


class LosingLedger:
    """The real ledger, but the first ``lose`` writes do the work and then lose the answer."""

    def __init__(self, inner: SqliteLedger, lose: int) -> None:
        self.inner = inner
        self.lose = lose
        self.sent = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def allocate(self, team_id: str, amount: int, **kwargs: object) -> Transaction:
        self.sent += 1
        entry = self.inner.allocate(team_id, amount, **kwargs)  # type: ignore[arg-type]
        if self.lose:
            self.lose -= 1
            raise AmbiguousWrite("connection reset after the request was sent")
        return entry


def test_a_lost_response_is_found_by_op_key_not_sent_again(tmp_path: Path) -> None:
    clock = Clock()
    inner = sandbox(tmp_path / "l.db", clock)
    ledger = LosingLedger(inner, lose=1)
    state = desired(organization(), team("team_eng", 700), team("team_ops", 300))
    plan = make_plan(state, inner, clock)
    result = executor.apply(plan, ledger, clock=clock, retry=NO_WAIT)  # type: ignore[arg-type]
    assert result.complete
    assert ledger.sent == 2  # one call per movement: the lost one was found, not re-sent
    assert [e.amount for e in team_entries(inner, "team_eng")] == [m(700)]
    assert result.steps[0].transaction_id == team_entries(inner, "team_eng")[0].id


def test_reclaim_is_re_clamped_to_what_is_available_when_it_runs(tmp_path: Path) -> None:
    clock = Clock()
    ledger = sandbox(tmp_path / "l.db", clock)
    executor.apply(
        make_plan(desired(organization(), team("team_eng", 1000)), ledger, clock),
        ledger,
        clock=clock,
    )
    lowered = desired(organization(), team("team_eng", 200), team("team_ops", 10))
    plan = make_plan(lowered, ledger, clock)
    assert [(c.action, c.amount) for c in plan.changes] == [
        (Action.RECLAIM, m(800)),
        (Action.ALLOCATE, m(10)),
    ]
    # spend after the plan: 900 of the 1000 is charged, so only 100 is left to take back
    hold = ledger.reserve("req-1", m(950), team_id="team_eng")
    ledger.settle(hold.reservation_id, m(900))

    result = executor.apply(plan, ledger, clock=clock)

    assert result.complete
    step = result.steps[0]
    assert (step.status, step.amount) == (StepStatus.APPLIED, m(100))
    assert step.detail == "re-clamped to available 100.00 (planned 800.00)"
    assert ledger.team_wallet("team_eng").balance == 0  # type: ignore[union-attr]
    after = make_plan(lowered, ledger, clock)
    assert after.changes == ()
    assert [(d.team_id, d.amount) for d in after.deficits] == [("team_eng", m(700))]
    assert ledger.check() == []


def test_a_console_allocation_after_the_plan_stops_only_that_team(tmp_path: Path) -> None:
    clock = Clock()
    ledger = sandbox(tmp_path / "l.db", clock)
    state = three_teams()
    executor.apply(make_plan(state, ledger, clock), ledger, clock=clock)  # type: ignore[arg-type]
    raised = desired(
        organization(), team("team_eng", 13000), team("team_ops", 3500), team("team_support", 2500)
    )
    plan = make_plan(raised, ledger, clock)
    ledger.allocate("team_eng", m(250), note="console top-up", actor="alice@acme")

    result = executor.apply(plan, ledger, clock=clock)

    eng, ops = result.steps
    assert eng.status is StepStatus.FAILED
    assert eng.detail.startswith(
        "team_eng's allocation flows changed since the plan (1 flow(s) then, 2 now; newest: "
        "allocation_in +250.00 at 2026-11-15T12:00:00"
    )
    assert eng.detail.endswith(
        "by alice@acme note 'console top-up'): not moved; run `reconciler plan` again"
    )
    assert (ops.status, ops.amount) == (StepStatus.APPLIED, m(500))
    assert not result.complete


def test_an_allocation_never_takes_the_org_below_headroom(tmp_path: Path) -> None:
    clock = Clock()
    ledger = sandbox(tmp_path / "l.db", clock, credit=20_000)
    state = desired(organization(headroom=5000), team("team_eng", 10000), team("team_ops", 1000))
    plan = make_plan(state, ledger, clock)
    ledger.allocate("team_unmanaged", m(6000), note="console")  # org now 14,000 available

    result = executor.apply(plan, ledger, clock=clock)

    eng, ops = result.steps
    assert eng.status is StepStatus.FAILED
    assert eng.detail == (
        "team_eng: allocating 10,000.00 would take the organization wallet to 4,000.00, below "
        "headroom 5,000.00: credit the organization wallet and re-run"
    )
    assert ops.status is StepStatus.APPLIED
    assert ledger.organization_wallet().available == m(13000)


def test_a_write_whose_outcome_stays_unknown_halts_the_run_as_unknown(tmp_path: Path) -> None:
    clock = Clock()
    inner = sandbox(tmp_path / "l.db", clock)
    state = desired(organization(), team("team_eng", 700), team("team_ops", 300))
    plan = make_plan(state, inner, clock)
    inner.close()

    class Down:
        def __getattr__(self, name: str) -> object:
            return getattr(inner_again, name)

        def allocate(self, *args: object, **kwargs: object) -> Transaction:
            raise AmbiguousWrite("read timed out after the request was sent")

    inner_again = SqliteLedger(tmp_path / "l.db", clock=clock)
    # one at a time: the halt leaves the second movement unstarted
    result = executor.apply(
        plan,
        Down(),  # type: ignore[arg-type]
        clock=clock,
        retry=NO_WAIT,
        concurrency=1,
    )
    eng, ops = result.steps
    assert eng.status is StepStatus.UNKNOWN
    assert eng.detail == (
        "allocate 700.00 to team_eng failed 4 times, and op "
        f"{plan.changes[0].op_key} is not in the ledger (read timed out after the request was "
        "sent): a write may still land; re-run apply to resume"
    )
    assert ops.status is StepStatus.NOT_ATTEMPTED
    assert ops.detail == "not attempted: the run stopped at team_eng (see above)"
    assert inner_again.team_wallet("team_eng") is None


def test_two_applies_of_the_same_plan_at_once_never_double_a_movement(tmp_path: Path) -> None:
    clock = Clock()
    sandbox(tmp_path / "l.db", clock).close()
    state = desired(organization(), *(team(f"team_{i:02d}", 10 + i) for i in range(12)))
    with SqliteLedger(tmp_path / "l.db", clock=clock) as ledger:
        plan = make_plan(state, ledger, clock)
    results: list[executor.ApplyResult] = []

    def run() -> None:
        with SqliteLedger(tmp_path / "l.db", clock=clock) as own:
            results.append(executor.apply(plan, own, clock=clock))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(r.complete for r in results)
    with SqliteLedger(tmp_path / "l.db") as ledger:
        for change in plan.changes:
            assert [e.amount for e in team_entries(ledger, change.team_id)] == [change.amount]
        assert ledger.check() == []


def test_a_rate_limited_write_waits_at_least_retry_after_then_succeeds(tmp_path: Path) -> None:
    clock = Clock()
    inner = sandbox(tmp_path / "l.db", clock)
    waits: list[float] = []

    class RateLimited:
        def __init__(self) -> None:
            self.calls = 0

        def __getattr__(self, name: str) -> object:
            return getattr(inner, name)

        def allocate(self, team_id: str, amount: int, **kwargs: object) -> Transaction:
            self.calls += 1
            if self.calls == 1:
                error = LedgerUnavailable("rate limited (429); nothing was written")
                error.retry_after = 3.0
                raise error
            return inner.allocate(team_id, amount, **kwargs)  # type: ignore[arg-type]

    plan = make_plan(desired(organization(), team("team_eng", 10)), inner, clock)
    ledger = RateLimited()
    result = executor.apply(
        plan,
        ledger,
        clock=clock,
        retry=RetryPolicy(sleep=waits.append),  # type: ignore[arg-type]
    )
    assert result.complete
    assert ledger.calls == 2
    assert len(waits) == 1
    assert waits[0] >= 3.0
    assert [e.amount for e in team_entries(inner, "team_eng")] == [m(10)]
