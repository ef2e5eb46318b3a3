"""A stateful property test over the sandbox ledger and the reconciler (hypothesis).

Random interleavings of envelope changes, applies (some killed part-way), console movements,
reserve, settle, expiry and period changes keep every ledger invariant; after every complete
apply the next plan is empty; a movement is never made twice (each op key appears once in the
ledger); drift left in place is never reclaimed; the organization never funds an allocation
below its headroom.
"""

from __future__ import annotations

import shutil
from collections import Counter
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import mkdtemp

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from reconciler import executor, notes, workflow
from reconciler.errors import (
    BudgetExceeded,
    FundingError,
    GuardError,
    InsufficientFunds,
    LedgerConflict,
    LedgerNotFound,
)
from reconciler.history import History
from reconciler.ledger.base import EntryType
from reconciler.ledger.retry import RetryPolicy
from reconciler.periods import period_at
from reconciler.planning import planner
from reconciler.planning.types import Action, Plan
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.planning import COMMIT, desired, m, organization, team

TEAMS = ("team_a", "team_b", "team_c")
SINCE = datetime(2026, 1, 1, tzinfo=UTC)
NO_WAIT = RetryPolicy(sleep=lambda _seconds: None)
HOLD_SECONDS = 3600


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class ReconcilerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.directory = Path(mkdtemp(prefix="stateful-"))
        self.ledger = SqliteLedger.create(self.directory / "l.db", "org_acme", clock=self.clock)
        self.ledger.credit(m(50_000), note="initial credit")
        self.envelopes = {t: 1_000 for t in TEAMS}
        self.holds: list[str] = []
        self.requests = 0

    def teardown(self) -> None:
        self.ledger.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    def state(self):  # type: ignore[no-untyped-def]
        return desired(
            organization(headroom=2_000),
            *(team(t, e) for t, e in self.envelopes.items()),
        )

    def plan(self) -> Plan | None:
        state = self.state()
        now = self.clock()
        observed = workflow.observe(self.ledger, state, period_at(state.organization.period, now))
        try:
            return planner.plan(
                state,
                observed,
                History(commit=COMMIT, dirty=False, managed_since=dict.fromkeys(TEAMS, SINCE)),
                now=now,
                override_reason="stateful test",
            )
        except (FundingError, GuardError):
            return None

    @rule(team_id=st.sampled_from(TEAMS), envelope=st.integers(0, 6_000))
    def change_envelope(self, team_id: str, envelope: int) -> None:
        self.envelopes[team_id] = envelope

    @rule(killed_after=st.none() | st.integers(0, 3))
    def apply(self, killed_after: int | None) -> None:
        plan = self.plan()
        if plan is None:
            return
        before = self.ledger.organization_wallet().available
        run = plan if killed_after is None else replace(plan, changes=plan.changes[:killed_after])
        result = executor.apply(run, self.ledger, clock=self.clock, retry=NO_WAIT)
        allocated = sum(s.amount for s in result.applied if s.change.action is Action.ALLOCATE)
        if allocated:
            assert self.ledger.organization_wallet().available >= plan.org.headroom or (
                before < plan.org.headroom
            )
        for step in result.steps:
            if step.change.action is Action.RECLAIM and step.status.value == "applied":
                assert step.amount <= step.change.amount
        if killed_after is None and result.complete:
            again = self.plan()
            assert again is None or again.changes == (), again

    @rule(team_id=st.sampled_from(TEAMS), amount=st.integers(1, 500), give=st.booleans())
    def console_movement(self, team_id: str, amount: int, give: bool) -> None:
        try:
            if give:
                self.ledger.allocate(team_id, m(amount), note="console", actor="carol")
            else:
                self.ledger.reclaim(team_id, m(amount), note="console", actor="carol")
        except (InsufficientFunds, LedgerNotFound):
            pass  # the console refuses what the wallet cannot give

    @rule(team_id=st.sampled_from(TEAMS), cost=st.integers(1, 800))
    def reserve(self, team_id: str, cost: int) -> None:
        self.requests += 1
        try:
            hold = self.ledger.reserve(
                f"r{self.requests}", m(cost), team_id=team_id, timeout_seconds=HOLD_SECONDS
            )
        except BudgetExceeded:
            return
        self.holds.append(hold.reservation_id)

    @precondition(lambda self: bool(self.holds))
    @rule(data=st.data())
    def settle(self, data: st.DataObject) -> None:
        hold = self.holds.pop(data.draw(st.integers(0, len(self.holds) - 1)))
        # a hold expires when a period change moves the clock past its timeout: refused then
        with suppress(LedgerConflict):
            self.ledger.settle(hold, data.draw(st.integers(0, 800)) * 1_000)

    @rule()
    def expire(self) -> None:
        self.clock.now += timedelta(seconds=2 * HOLD_SECONDS)
        self.release_expired()

    @rule()
    def next_period(self) -> None:
        start = period_at(self.state().organization.period, self.clock.now).end
        self.clock.now = start + timedelta(hours=1)
        self.release_expired()

    def release_expired(self) -> None:
        """What the ledger's next write would do anyway; done here so that no hold lapses in
        the middle of an apply (an apply's steps take seconds on this clock, holds an hour)."""
        self.ledger.expire_reservations()
        self.holds.clear()

    @invariant()
    def ledger_invariants_hold(self) -> None:
        assert self.ledger.check() == []

    @invariant()
    def no_op_key_twice(self) -> None:
        seen: Counter[str] = Counter()
        for entry in self.ledger.all_transactions():
            if entry.type is EntryType.ALLOCATION_IN or entry.type is EntryType.ALLOCATION_OUT:
                note = notes.parse_note(entry.note)
                if note is not None and entry.wallet_id != self.ledger.organization_wallet().id:
                    seen[note.op_key] += 1
        assert [op for op, count in seen.items() if count > 1] == []


class TestReconciler(ReconcilerMachine.TestCase):  # type: ignore[name-defined, misc]
    settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
