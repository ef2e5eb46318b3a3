"""The two waves of an apply, each with a bounded number of movements in flight.

All reclaims first, at most ``concurrency`` at a time; when every one has finished, the
allocations, at most ``concurrency`` at a time, each reserved against the organization's
headroom (``funds``) before it is handed to a worker. Changes are started in the plan's order,
a team's changes one after another; results are recorded and reported (``progress``) in the
plan's order, whatever order they finish in, so a run whose movements all behave as they would
one at a time prints exactly what the sequential run prints.

Stopping: a team that fails (``StopTeam``) has its other changes not attempted; a halt (the
ledger unusable, a write's outcome unknown) or Ctrl-C stops new starts, lets the movements in
flight finish and reports them as they ended. A second Ctrl-C stops the waiting: movements still
in flight are reported as unknown when their write was sent.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from reconciler import failpoints
from reconciler.errors import (
    LedgerAuthError,
    LedgerConfigError,
    LedgerError,
    LedgerNotFound,
    LedgerUnavailable,
)
from reconciler.executor.funds import OrgFunds
from reconciler.executor.movement import Flight, Halt, Mover, StopTeam, Unknown
from reconciler.executor.results import ApplyResult, Progress, StepResult, StepStatus
from reconciler.ledger.base import Scope
from reconciler.planning.types import Action, Change

CONCURRENCY_ENV = "RECONCILER_APPLY_CONCURRENCY"
# movements in flight per wave; 1 = one after another. 16: over the wire each movement is a
# read and a write, and measured at 20 ms latency 16 in flight cut a 1,000-movement apply by
# about a third against 8 (the sandbox server and the client then share the CPU)
DEFAULT_CONCURRENCY = 16


def default_concurrency() -> int:
    """``RECONCILER_APPLY_CONCURRENCY`` when it is a whole number from 1, else 16."""
    text = os.environ.get(CONCURRENCY_ENV, "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else DEFAULT_CONCURRENCY


@dataclass(frozen=True, slots=True)
class _Outcome:
    step: StepResult
    stop_team: bool = False  # the team is stopped: its other changes are not attempted
    halt: bool = False  # start nothing more
    interrupted: bool = False
    refused: bool = False  # the ledger refused an allocation for want of funds


class Waves:
    """One run of one plan; ``run()`` returns its result."""

    def __init__(self, mover: Mover, concurrency: int, progress: Progress | None) -> None:
        self.mover = mover
        self.changes = mover.plan.changes
        self.limit = max(1, concurrency)
        self.progress = progress
        self.steps: list[StepResult | None] = [None] * len(self.changes)
        self.reported = 0
        self.halted: str | None = None
        self.interrupted = False
        self.stopped: dict[str, str] = {}
        self.stop = threading.Event()
        self.flights: dict[Future[_Outcome], tuple[int, Flight]] = {}
        self.funds: OrgFunds | None = None
        self.debited: set[int] = set()  # allocations debited from the local figure

    def run(self) -> ApplyResult:
        reclaims = [i for i, c in enumerate(self.changes) if c.action is Action.RECLAIM]
        allocations = [i for i, c in enumerate(self.changes) if c.action is Action.ALLOCATE]
        pool = ThreadPoolExecutor(max_workers=self.limit, thread_name_prefix="apply")
        abandoned = False
        try:
            try:
                self._wave(pool, reclaims)
                self._drain()
                if reclaims and allocations:
                    failpoints.hit("apply.between_waves")
                self._wave(pool, allocations)
                self._drain()
            except KeyboardInterrupt:
                abandoned = self._interrupt()
        finally:
            pool.shutdown(wait=not abandoned, cancel_futures=True)
        for index, change in enumerate(self.changes):
            if self.steps[index] is None:
                detail = self.halted or "not attempted: the run was interrupted"
                self._record(index, StepResult(change, StepStatus.NOT_ATTEMPTED, detail=detail))
        plan = self.mover.plan
        steps = tuple(s for s in self.steps if s is not None)
        return ApplyResult(plan.plan_id, plan.commit, steps, self.interrupted)

    # ---- starting ---------------------------------------------------------------------------

    def _wave(self, pool: ThreadPoolExecutor, indices: list[int]) -> None:
        for index in indices:
            change = self.changes[index]
            while len(self.flights) >= self.limit or self._busy(change.team_id):
                self._harvest()
            if self._skipped(index):
                continue
            if change.action is Action.ALLOCATE and not self._reserve(index):
                continue
            flight = Flight(change, self.stop)
            self.flights[pool.submit(self._work, flight)] = (index, flight)

    def _busy(self, team_id: str) -> bool:
        return any(flight.change.team_id == team_id for _, flight in self.flights.values())

    def _skipped(self, index: int) -> bool:
        """Record ``index`` as not attempted when the run halted or its team was stopped."""
        change = self.changes[index]
        detail = self.halted or self.stopped.get(change.team_id)
        if detail is None:
            return False
        self._record(index, StepResult(change, StepStatus.NOT_ATTEMPTED, detail=detail))
        return True

    def _reserve(self, index: int) -> bool:
        """Debit the allocation from the local figure; when it does not fit, let the movements
        in flight finish, read the organization wallet again and decide with that."""
        change = self.changes[index]
        try:
            if self.funds is None:
                self.funds = OrgFunds(self.mover.plan.org.headroom, self._read_org())
            if not self.funds.fits(change.amount):
                self._drain()
                if self._skipped(index):
                    return False
                self.funds.refresh(self._read_org())
                if not self.funds.fits(change.amount):
                    raise StopTeam(self.funds.shortfall(change))
        except StopTeam as exc:
            self._settle(index, _Outcome(_failed(change, exc), stop_team=True))
            return False
        except Halt as exc:
            self._settle(index, _Outcome(_failed(change, exc), halt=True))
            return False
        self.funds.debit(change.amount)
        self.debited.add(index)
        return True

    def _read_org(self) -> int:
        """The organization wallet's available balance; every team wallet's id on the way."""
        try:
            wallets = self.mover.ledger.list_wallets()
            self.mover.wallets = {w.owner_id: w for w in wallets if w.scope is Scope.TEAM}
            for wallet in wallets:
                if wallet.scope is Scope.ORGANIZATION:
                    return wallet.available
            raise LedgerNotFound("the ledger lists no organization wallet")
        except (LedgerAuthError, LedgerConfigError, LedgerUnavailable) as exc:
            raise Halt(str(exc)) from exc
        except LedgerError as exc:
            raise Halt(f"cannot read the organization wallet: {exc}") from exc

    def _work(self, flight: Flight) -> _Outcome:
        """In a worker thread: one movement, every way it can end turned into an outcome."""
        change = flight.change
        try:
            return _Outcome(self.mover.run(flight))
        except StopTeam as exc:
            return _Outcome(_failed(change, exc), stop_team=True, refused=exc.refused)
        except Halt as exc:
            return _Outcome(_failed(change, exc), halt=True)
        except Unknown as exc:
            step = StepResult(change, StepStatus.UNKNOWN, detail=str(exc))
            return _Outcome(step, halt=True)
        except KeyboardInterrupt:
            return _Outcome(flight.interrupted(), interrupted=True)

    # ---- finishing --------------------------------------------------------------------------

    def _harvest(self) -> None:
        """Wait for at least one movement in flight to finish, and record what finished."""
        done, _ = wait(list(self.flights), return_when=FIRST_COMPLETED)
        for future in sorted(done, key=lambda f: self.flights[f][0]):
            index, _flight = self.flights.pop(future)
            self._settle(index, future.result())

    def _drain(self) -> None:
        while self.flights:
            self._harvest()

    def _settle(self, index: int, outcome: _Outcome) -> None:
        change, step = self.changes[index], outcome.step
        if outcome.stop_team:
            self.stopped[change.team_id] = f"not attempted: {change.team_id} was stopped"
        if outcome.halt and self.halted is None:
            self.halted = f"not attempted: the run stopped at {change.team_id} (see above)"
        if outcome.interrupted:
            self._stop_starting()
        if self.funds is not None and index in self.debited:
            if step.status is StepStatus.FAILED:  # certainly not made: the amount is free
                self.funds.give_back(change.amount)
            if outcome.refused:
                self.funds.reread = True
        self._record(index, step)

    def _interrupt(self) -> bool:
        """Ctrl-C: start nothing more and wait for the movements in flight. A second Ctrl-C
        stops the waiting (True: the pool is abandoned with those movements in it)."""
        self._stop_starting()
        try:
            self._drain()
        except KeyboardInterrupt:
            for index, flight in self.flights.values():
                self._record(index, flight.interrupted())
            self.flights.clear()
            return True
        return False

    def _stop_starting(self) -> None:
        self.interrupted = True
        self.stop.set()
        self.halted = "not attempted: the run was interrupted"

    def _record(self, index: int, step: StepResult) -> None:
        """Keep ``step``; report every step whose turn has come, in the plan's order."""
        self.steps[index] = step
        while self.reported < len(self.steps):
            ready = self.steps[self.reported]
            if ready is None:
                return
            self.reported += 1
            if self.progress is not None:
                self.progress(ready, self.reported, len(self.steps))


def _failed(change: Change, exc: Exception) -> StepResult:
    return StepResult(change, StepStatus.FAILED, detail=str(exc))
