"""Builders for the apply tests: a settable clock, a real sandbox ledger, plans made from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from reconciler import workflow
from reconciler.history import History
from reconciler.ledger.base import Ledger
from reconciler.model import DesiredState
from reconciler.periods import period_at
from reconciler.planning import planner, staleness
from reconciler.planning.types import Plan
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.planning import COMMIT, NOW, m


@dataclass
class Clock:
    """A clock tests move by hand; each read advances one millisecond so entries stay ordered."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


def sandbox(path: Path, clock: Clock, *, credit: int | str = 100_000) -> SqliteLedger:
    ledger = SqliteLedger.create(path, "org_acme", clock=clock)
    ledger.credit(m(credit), note="initial credit")
    return ledger


def make_plan(
    desired: DesiredState,
    ledger: Ledger,
    clock: Clock,
    *,
    commit: str = COMMIT,
    dirty: bool = False,
    managed_since: dict[str, datetime] | None = None,
    override_reason: str | None = None,
) -> Plan:
    now = clock()
    observed = workflow.observe(ledger, desired, period_at(desired.organization.period, now))
    return planner.plan(
        desired,
        observed,
        History(commit=commit, dirty=dirty, managed_since=managed_since or {}),
        now=now,
        override_reason=override_reason,
    )


def check_saved(
    saved: Plan,
    ledger: Ledger,
    head: str,
    now: datetime,
    state: DesiredState,
    *,
    override_reason: str | None = None,
) -> Plan:
    """What ``apply PLANFILE`` checks, in its order: the file alone, period and HEAD, then a
    fresh plan of ``state`` at ``now`` compared with the file. Returns the plan to execute."""
    staleness.check_self_consistent(saved)
    staleness.check_current(saved, head, now)
    observed = workflow.observe(ledger, state, period_at(state.organization.period, now))
    fresh = planner.plan(
        state,
        observed,
        History(commit=head, dirty=saved.dirty, managed_since={}),
        now=now,
        override_reason=override_reason,
    )
    return workflow.verify_saved(saved, fresh, ledger, state)
