"""One movement of a plan, start to end: the team's read, the checks, the write and, when its
outcome is unknown, the op-key search before any retry (DESIGN §5, §8).

``Mover.run`` is called from worker threads, one change at a time per team. The organization's
headroom is not checked here: the scheduler (``waves``) reserves every allocation against its
local figure before the change reaches a worker.

Reads: a change costs one read of its team (``Ledger.team_wallet``, or the period's entries of
the team wallet whose id the allocation wave's read gave) — a reclaim two, because its amount is
re-clamped to the available balance read now. Transport retries are the ledger client's own
(``HttpLedger`` tries every read ``RetryPolicy.read_attempts`` times): nothing here loops around
a read. Writes are retried here, and only after the op-key search found the op key absent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reconciler import failpoints, money, notes
from reconciler.clock import Clock
from reconciler.errors import (
    AmbiguousWrite,
    InsufficientFunds,
    LedgerAuthError,
    LedgerConfigError,
    LedgerConflict,
    LedgerError,
    LedgerUnavailable,
)
from reconciler.executor.results import StepResult, StepStatus
from reconciler.ledger.base import (
    Ledger,
    TeamObservation,
    Transaction,
    Wallet,
    observation_from_entries,
)
from reconciler.ledger.retry import RetryPolicy
from reconciler.planning.staleness import describe_flow_change, flows_digest
from reconciler.planning.types import Action, Change, Plan, TeamFingerprint


class StopTeam(Exception):
    """This team's flows changed, or it cannot be moved: fail this step and skip its others."""

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused  # the ledger refused the movement for want of funds


class Halt(Exception):
    """The ledger is unusable (auth, unreachable): fail this step, start nothing more."""


class Unknown(Exception):
    """A write was sent and its outcome could not be learned: start nothing more."""


@dataclass
class Flight:
    """One change on its way: whether its write has been sent (then an interruption leaves its
    outcome unknown), and the run-wide signal to send nothing new."""

    change: Change
    stop: threading.Event
    sent: bool = False

    def interrupted(self) -> StepResult:
        """The step an interruption stopped: unknown when its write was sent, else not made."""
        if self.sent:
            return StepResult(
                self.change,
                StepStatus.UNKNOWN,
                detail=f"interrupted while op {self.change.op_key} was being sent: the movement "
                "may still land; re-run apply, which checks the op key first",
            )
        return StepResult(
            self.change, StepStatus.NOT_ATTEMPTED, detail="interrupted before it was sent"
        )


class Mover:
    """Makes one change of ``plan`` against ``ledger``; shared by the worker threads."""

    def __init__(self, plan: Plan, ledger: Ledger, clock: Clock, retry: RetryPolicy) -> None:
        self.plan = plan
        self.ledger = ledger
        self.clock = clock
        self.retry = retry
        self.ops = frozenset(c.op_key for c in plan.changes)
        self.fingerprints: dict[str, TeamFingerprint] = {f.team_id: f for f in plan.fingerprints}
        # team wallets by team id, from the allocation wave's read of every wallet
        self.wallets: Mapping[str, Wallet] = {}

    def run(self, flight: Flight) -> StepResult:
        change = flight.change
        try:
            return self._run(flight)
        except (LedgerAuthError, LedgerConfigError, LedgerUnavailable) as exc:
            raise Halt(str(exc)) from exc
        except LedgerError as exc:
            refused = isinstance(exc, InsufficientFunds)
            raise StopTeam(f"{change.team_id}: {exc}", refused=refused) from exc

    def _run(self, flight: Flight) -> StepResult:
        change = flight.change
        period = self.plan.period
        if self.clock() >= period.end:
            raise Halt(
                f"period {period.id} ended at {period.end.isoformat(timespec='seconds')} during "
                "the apply: run `reconciler plan` again for the new period"
            )
        obs = self._read(change)
        present = find_op(obs.flows, change.op_key)
        if present is not None:
            return StepResult(
                change,
                StepStatus.SKIPPED,
                transaction_id=present.id,
                detail=f"already in the ledger ({present.id})",
            )
        self._check_flows(change.team_id, obs)
        amount = change.amount
        if change.action is Action.RECLAIM:
            # never below what drift: warn keeps in place, also when spend lowered available
            amount = min(amount, max(obs.available - change.drift_kept, 0))
            if amount <= 0:
                kept = ""
                if change.drift_kept:
                    kept = f", drift kept in place {money.format_usd(change.drift_kept)}"
                return StepResult(
                    change,
                    StepStatus.SKIPPED,
                    detail="nothing left to reclaim (available "
                    f"{money.format_usd(obs.available)}{kept})",
                )
        entry, made_here = self._move(flight, amount)
        if not made_here:
            return StepResult(
                change,
                StepStatus.SKIPPED,
                transaction_id=entry.id,
                detail=f"already in the ledger ({entry.id}): made by another run with the same "
                "op key (an earlier run that was interrupted, or one running now)",
            )
        detail = ""
        if amount != change.amount:
            detail = (
                f"re-clamped to available {money.format_usd(amount)} "
                f"(planned {money.format_usd(change.amount)})"
            )
        return StepResult(change, StepStatus.APPLIED, amount, entry.id, detail)

    def _read(self, change: Change) -> TeamObservation:
        """The team's allocation flows in the period, read just before its movement (DESIGN
        §8: they hold the op key of an earlier run, and show a changed team). Only the team,
        only the period: an allocation to a wallet the wave's read found costs one read; a
        reclaim also reads the wallet, for the available balance it is clamped to."""
        team_id = change.team_id
        wallet = self.wallets.get(team_id)  # as the wave read it: its balance is not used
        if change.action is Action.RECLAIM or wallet is None:
            wallet = self.ledger.team_wallet(team_id)
            if wallet is None:
                return TeamObservation(team_id, None, (), 0)
        entries = self.ledger.transactions(wallet.id, since=self.plan.period.start)
        # carry is not read (the entries start at the period): the executor never uses it
        return observation_from_entries(team_id, wallet, entries, self.plan.period)

    def _check_flows(self, team_id: str, obs: TeamObservation) -> None:
        expected = self.fingerprints.get(team_id)
        if expected is None:
            return
        digest, count = flows_digest(obs.flows, exclude_ops=self.ops)
        if digest != expected.flows_digest:
            raise StopTeam(
                describe_flow_change(expected, count, obs, self.ops)
                + ": not moved; run `reconciler plan` again"
            )

    def _note(self, change: Change) -> str:
        return notes.format_note(
            notes.Note(
                commit=self.plan.commit,
                plan_id=self.plan.plan_id,
                op_key=change.op_key,
                team_id=change.team_id,
                period_id=self.plan.period.id,
                dirty=self.plan.dirty,
                override=self.plan.override_reason,
            )
        )

    def _move(self, flight: Flight, amount: int) -> tuple[Transaction, bool]:
        """The movement's entry, and whether this run made it.

        An idempotent replay (``Transaction.replayed``) or an op key found in the ledger was
        made by this run only if one of its own earlier attempts may have been written (an
        ambiguous failure); otherwise a concurrent run made it. Once the run is told to stop,
        no attempt is started: the step then ends as interrupted (unknown if one was sent).
        """
        change = flight.change
        note = self._note(change)
        send = self.ledger.allocate if change.action is Action.ALLOCATE else self.ledger.reclaim
        last: LedgerUnavailable | LedgerConflict | None = None
        maybe_written = False
        for attempt in range(self.retry.write_attempts):
            if attempt:
                after = last.retry_after if isinstance(last, LedgerUnavailable) else None
                self.retry.pause(attempt - 1, at_least=after)
            if flight.stop.is_set():
                raise KeyboardInterrupt
            failpoints.hit("apply.before_write")
            flight.sent = True
            try:
                entry = send(change.team_id, amount, note=note, idempotency_key=change.op_key)
                failpoints.hit("apply.after_write")
                return entry, maybe_written or not entry.replayed
            except LedgerUnavailable as exc:
                last = exc
                maybe_written = maybe_written or isinstance(exc, AmbiguousWrite)
            except LedgerConflict as exc:
                # the op key is another request's (another run's note names another plan id):
                # the movement is that run's, made or still in flight
                last = exc
            found = self._search(change, maybe_written)
            if found is not None:
                return found, maybe_written
        assert last is not None
        what = (
            f"{change.action.value} {money.format_usd(amount)} to {change.team_id} failed "
            f"{self.retry.write_attempts} times, and op {change.op_key} is not in the ledger "
            f"({last})"
        )
        if maybe_written or isinstance(last, LedgerConflict):
            raise Unknown(f"{what}: a write may still land; re-run apply to resume") from last
        raise LedgerUnavailable(f"{what}: re-run apply to resume") from last

    def _search(self, change: Change, maybe_written: bool) -> Transaction | None:
        """The team wallet's flow carrying ``change``'s op key. One search: the ledger client
        already retried each of its reads (one retry layer, ``ledger/retry.py``)."""
        try:
            wallet = self.wallets.get(change.team_id) or self.ledger.team_wallet(change.team_id)
            if wallet is None:
                return None
            entries = self.ledger.transactions(wallet.id, since=self.plan.period.start)
            return find_op(entries, change.op_key)
        except LedgerUnavailable as exc:
            text = (
                f"cannot tell whether op {change.op_key} ({change.team_id}) was made: the "
                f"ledger did not answer ({exc}); re-run apply, which checks the op key first"
            )
            if maybe_written:
                raise Unknown(text) from exc
            raise LedgerUnavailable(text) from exc


def find_op(entries: Iterable[Transaction], op_key: str) -> Transaction | None:
    for entry in entries:
        if notes.op_of(entry.note) == op_key:
            return entry
    return None
