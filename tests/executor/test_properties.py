"""Properties of plan + apply on random organizations and ledgers (real SqliteLedger)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler import executor
from reconciler.errors import FundingError
from reconciler.executor import StepResult
from reconciler.model import Mode
from reconciler.render.apply import dumps
from tests.support.executing import Clock, make_plan, sandbox
from tests.support.planning import desired, organization, team


@dataclass(frozen=True)
class TeamCase:
    envelope: int  # cents
    mode: Mode
    rollover: bool
    protect: bool
    before: int  # cents allocated by hand before the team came under management
    spent: int  # cents settled out of ``before``
    held: int  # cents still reserved


@st.composite
def team_cases(draw: st.DrawFn) -> TeamCase:
    before = draw(st.integers(0, 400_000))
    spent = draw(st.integers(0, before))
    held = draw(st.integers(0, before - spent))
    return TeamCase(
        envelope=draw(st.integers(0, 500_000)),
        mode=draw(st.sampled_from(list(Mode))),
        rollover=draw(st.booleans()),
        protect=draw(st.integers(0, 4)) == 0,
        before=before,
        spent=spent,
        held=held,
    )


CENT = 10_000  # micros


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cases=st.lists(team_cases(), min_size=1, max_size=4),
    headroom=st.integers(0, 300_000),
    spare=st.integers(-200_000, 1_000_000),
)
def test_apply_then_plan_is_empty_money_is_conserved_headroom_holds(
    cases: list[TeamCase], headroom: int, spare: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clock = Clock()
        credit = sum(c.before + c.envelope for c in cases) + max(headroom + spare, 1)
        ledger = sandbox(Path(tmp) / "l.db", clock, credit=f"{credit / 100:.2f}")
        teams = []
        for index, case in enumerate(cases):
            team_id = f"team_{index}"
            if case.before:
                ledger.allocate(team_id, case.before * CENT, note="console")
            if case.spent:
                hold = ledger.reserve(f"r{index}", case.spent * CENT, team_id=team_id)
                ledger.settle(hold.reservation_id, case.spent * CENT)
            if case.held:
                ledger.reserve(f"h{index}", case.held * CENT, team_id=team_id)
            teams.append(
                team(
                    team_id,
                    f"{case.envelope / 100:.2f}",
                    mode=case.mode,
                    rollover=case.rollover,
                    protect=case.protect,
                )
            )
        state = desired(organization(headroom=f"{headroom / 100:.2f}"), *teams)
        try:
            plan = make_plan(state, ledger, clock, override_reason="property test")
        except FundingError:
            assert ledger.check() == []
            return

        org_after_each_step: list[int] = []

        def watch(step: StepResult, done: int, total: int) -> None:
            org_after_each_step.append(ledger.organization_wallet().available)

        start = ledger.organization_wallet().available
        result = executor.apply(plan, ledger, clock=clock, progress=watch)

        assert result.complete, dumps(result)
        assert make_plan(state, ledger, clock, override_reason="property test").changes == ()
        assert ledger.check() == []
        floor = min(start, headroom * CENT)
        assert all(available >= floor for available in org_after_each_step)
        for step in result.steps:
            assert step.amount <= step.change.amount
        wallets = {w.owner_id: w for w in ledger.list_wallets()}
        for team_id, case in zip((t.id for t in teams), cases, strict=True):
            wallet = wallets.get(team_id)
            assert wallet is None or wallet.balance >= 0
            assert wallet is None or wallet.reserved == case.held * CENT


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cases=st.lists(team_cases(), min_size=1, max_size=3),
    spend=st.lists(st.integers(0, 100), min_size=3, max_size=3),
    months=st.integers(1, 3),
)
def test_every_new_period_is_funded_again_and_plans_stay_empty_after_apply(
    cases: list[TeamCase], spend: list[int], months: int
) -> None:
    """Month after month: spend some of each wallet, apply, and the next plan is empty."""
    with tempfile.TemporaryDirectory() as tmp:
        clock = Clock(datetime(2026, 9, 2, 8, 0, tzinfo=UTC))
        credit = sum(c.envelope for c in cases) * (months + 2) + 1
        ledger = sandbox(Path(tmp) / "l.db", clock, credit=f"{credit / 100:.2f}")
        teams = [
            team(f"team_{i}", f"{c.envelope / 100:.2f}", mode=c.mode, rollover=c.rollover)
            for i, c in enumerate(cases)
        ]
        state = desired(organization(headroom=0), *teams)
        for month in range(months + 1):
            clock.now = datetime(2026, 9 + month, 2 + month, 8, 0, tzinfo=UTC)
            plan = make_plan(state, ledger, clock, override_reason="property test")
            assert plan.period.id == f"2026-{9 + month:02d}"
            result = executor.apply(plan, ledger, clock=clock)
            assert result.complete, dumps(result)
            assert make_plan(state, ledger, clock, override_reason="x").changes == ()
            assert ledger.check() == []
            for index, (case, percent) in enumerate(zip(cases, spend, strict=False)):
                wallet = ledger.team_wallet(f"team_{index}")
                if wallet is None or case.mode is Mode.BALANCE:
                    continue
                if not case.rollover:
                    assert wallet.balance == case.envelope * CENT  # brought to the envelope
                cost = wallet.available * percent // 100
                if cost:
                    hold = ledger.reserve(f"m{month}t{index}", cost, team_id=f"team_{index}")
                    ledger.settle(hold.reservation_id, cost)
