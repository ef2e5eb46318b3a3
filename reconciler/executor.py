"""Run exactly one plan against a ledger, safely and resumably (DESIGN §4.3, §5, §8).

For each change, in the plan's order:

1. re-read the team's period allocation flows (``Ledger.observe``);
2. skip it when a flow already carries its op key (a resumed run);
3. stop the team when its flows changed since the plan (flows carrying this plan's op keys do
   not count), so a concurrent console movement or another apply is never fought;
4. re-clamp a reclaim to the available balance just read; refuse an allocation that would take
   the organization wallet below the plan's headroom (re-read just before);
5. send the movement with its note and ``idempotency_key=op_key``; when the outcome is unknown
   (``LedgerUnavailable``, including ``AmbiguousWrite``) search the team wallet for the op key
   before any retry, with bounded exponential backoff and jitter. A movement is never made twice.
   A movement answered by an idempotent replay (``Transaction.replayed``: a concurrent run
   with the same plan made it first) is reported as skipped, not applied.

The result records every change as applied, skipped, failed or not attempted. ``apply`` never
raises for a ledger error on one movement: the CLI turns the result into an exit code.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from reconciler import failpoints, money, notes
from reconciler.clock import Clock
from reconciler.errors import (
    AmbiguousWrite,
    LedgerAuthError,
    LedgerConfigError,
    LedgerConflict,
    LedgerError,
    LedgerUnavailable,
)
from reconciler.ledger.base import Ledger, TeamObservation, Transaction
from reconciler.ledger.retry import RetryPolicy
from reconciler.planning.staleness import describe_flow_change, flows_digest
from reconciler.planning.types import Action, Change, Plan, TeamFingerprint


class StepStatus(enum.StrEnum):
    APPLIED = "applied"  # the movement was made by this run
    SKIPPED = "skipped"  # already in the ledger (another run made it), or nothing to reclaim
    FAILED = "failed"  # refused or not sent: nothing was moved
    UNKNOWN = "unknown"  # sent, outcome unknown (lost answer, interrupted): re-run to resume
    NOT_ATTEMPTED = "not_attempted"


@dataclass(frozen=True, slots=True)
class StepResult:
    change: Change
    status: StepStatus
    amount: int = 0  # what this run moved (a reclaim may be re-clamped below the plan)
    transaction_id: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ApplyResult:
    plan_id: str
    commit: str
    steps: tuple[StepResult, ...]
    interrupted: bool = False  # Ctrl-C (SIGINT) or SIGTERM stopped the run

    def count(self, status: StepStatus) -> int:
        return sum(1 for s in self.steps if s.status is status)

    @property
    def applied(self) -> tuple[StepResult, ...]:
        return tuple(s for s in self.steps if s.status is StepStatus.APPLIED)

    @property
    def failed(self) -> tuple[StepResult, ...]:
        return tuple(s for s in self.steps if s.status is StepStatus.FAILED)

    @property
    def unknown(self) -> tuple[StepResult, ...]:
        return tuple(s for s in self.steps if s.status is StepStatus.UNKNOWN)

    @property
    def complete(self) -> bool:
        """Every change is in the ledger (made now or before) or had nothing left to move."""
        return all(s.status in {StepStatus.APPLIED, StepStatus.SKIPPED} for s in self.steps)

    def total(self, action: Action) -> int:
        return sum(s.amount for s in self.applied if s.change.action is action)


Progress = Callable[[StepResult, int, int], None]


class _StopTeam(Exception):
    """This team's flows changed, or it cannot be moved: fail this step and skip its others."""


class _Halt(Exception):
    """The ledger is unusable (auth, unreachable): fail this step, attempt nothing more."""


class _Unknown(Exception):
    """A write was sent and its outcome could not be learned: attempt nothing more."""


def apply(
    plan: Plan,
    ledger: Ledger,
    *,
    clock: Clock,
    progress: Progress | None = None,
    retry: RetryPolicy | None = None,
) -> ApplyResult:
    """Run ``plan``'s changes against ``ledger``; never raises for a single movement's failure."""
    runner = _Runner(plan, ledger, clock, retry or RetryPolicy())
    steps: list[StepResult] = []
    halted: str | None = None
    interrupted = False
    stopped: dict[str, str] = {}
    total = len(plan.changes)
    previous: Action | None = None
    for change in plan.changes:
        if previous is Action.RECLAIM and change.action is Action.ALLOCATE:
            failpoints.hit("apply.between_waves")
        previous = change.action
        if halted is not None:
            step = StepResult(change, StepStatus.NOT_ATTEMPTED, detail=halted)
        elif change.team_id in stopped:
            step = StepResult(change, StepStatus.NOT_ATTEMPTED, detail=stopped[change.team_id])
        else:
            try:
                step = runner.run(change)
            except _StopTeam as exc:
                step = StepResult(change, StepStatus.FAILED, detail=str(exc))
                stopped[change.team_id] = f"not attempted: {change.team_id} was stopped"
            except (_Halt, _Unknown) as exc:
                status = StepStatus.UNKNOWN if isinstance(exc, _Unknown) else StepStatus.FAILED
                step = StepResult(change, status, detail=str(exc))
                halted = f"not attempted: the run stopped at {change.team_id} (see above)"
            except KeyboardInterrupt:
                interrupted = True
                step = runner.interrupted(change)
                halted = "not attempted: the run was interrupted"
        steps.append(step)
        if progress is not None:
            progress(step, len(steps), total)
    return ApplyResult(plan.plan_id, plan.commit, tuple(steps), interrupted)


class _Runner:
    def __init__(self, plan: Plan, ledger: Ledger, clock: Clock, retry: RetryPolicy) -> None:
        self.plan = plan
        self.ledger = ledger
        self.clock = clock
        self.retry = retry
        self.ops = frozenset(c.op_key for c in plan.changes)
        self.fingerprints: dict[str, TeamFingerprint] = {f.team_id: f for f in plan.fingerprints}
        self.sending = False  # the current step's write has been sent (Ctrl-C: outcome unknown)

    def run(self, change: Change) -> StepResult:
        self.sending = False
        try:
            return self._run(change)
        except (LedgerAuthError, LedgerConfigError, LedgerUnavailable) as exc:
            raise _Halt(str(exc)) from exc
        except LedgerError as exc:
            raise _StopTeam(f"{change.team_id}: {exc}") from exc

    def interrupted(self, change: Change) -> StepResult:
        """The step a Ctrl-C stopped: unknown when its write had been sent, else not made."""
        if self.sending:
            return StepResult(
                change,
                StepStatus.UNKNOWN,
                detail=f"interrupted while op {change.op_key} was being sent: the movement may "
                "still land; re-run apply, which checks the op key first",
            )
        return StepResult(change, StepStatus.NOT_ATTEMPTED, detail="interrupted before it was sent")

    def _run(self, change: Change) -> StepResult:
        period = self.plan.period
        if self.clock() >= period.end:
            raise _Halt(
                f"period {period.id} ended at {period.end.isoformat(timespec='seconds')} during "
                "the apply: run `reconciler plan` again for the new period"
            )
        obs = self._observe(change.team_id)
        present = _find_op(obs.flows, change.op_key)
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
            takeable = max(obs.available - change.drift_kept, 0)
            amount = min(amount, takeable)
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
        else:
            self._check_headroom(change)
        entry, made_here = self._move(change, amount)
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

    def _observe(self, team_id: str) -> TeamObservation:
        return self.ledger.observe([team_id], self.plan.period)[team_id]

    def _check_flows(self, team_id: str, obs: TeamObservation) -> None:
        expected = self.fingerprints.get(team_id)
        if expected is None:
            return
        digest, count = flows_digest(obs.flows, exclude_ops=self.ops)
        if digest != expected.flows_digest:
            raise _StopTeam(
                describe_flow_change(expected, count, obs, self.ops)
                + ": not moved; run `reconciler plan` again"
            )

    def _check_headroom(self, change: Change) -> None:
        available = self.ledger.organization_wallet().available
        headroom = self.plan.org.headroom
        if available - change.amount < headroom:
            raise _StopTeam(
                f"{change.team_id}: allocating {money.format_usd(change.amount)} would take the "
                f"organization wallet to {money.format_usd(available - change.amount)}, below "
                f"headroom {money.format_usd(headroom)}: credit the organization wallet and "
                "re-run"
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

    def _move(self, change: Change, amount: int) -> tuple[Transaction, bool]:
        """The movement's entry, and whether this run made it.

        An idempotent replay (``Transaction.replayed``) or an op key found in the ledger was
        made by this run only if one of its own earlier attempts may have been written (an
        ambiguous failure); otherwise a concurrent run made it.
        """
        note = self._note(change)
        send = self.ledger.allocate if change.action is Action.ALLOCATE else self.ledger.reclaim
        last: LedgerUnavailable | LedgerConflict | None = None
        maybe_written = False
        for attempt in range(self.retry.write_attempts):
            if attempt:
                after = last.retry_after if isinstance(last, LedgerUnavailable) else None
                self.retry.pause(attempt - 1, at_least=after)
            failpoints.hit("apply.before_write")
            self.sending = True
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
            raise _Unknown(f"{what}: a write may still land; re-run apply to resume") from last
        raise LedgerUnavailable(f"{what}: re-run apply to resume") from last

    def _search(self, change: Change, maybe_written: bool) -> Transaction | None:
        """The team wallet's flow carrying ``change``'s op key, read with bounded retries."""
        last: LedgerUnavailable | None = None
        for attempt in range(self.retry.read_attempts):
            if attempt:
                self.retry.pause(attempt - 1, at_least=last.retry_after if last else None)
            try:
                wallet = self.ledger.team_wallet(change.team_id)
                if wallet is None:
                    return None
                entries = self.ledger.transactions(wallet.id, since=self.plan.period.start)
                return _find_op(entries, change.op_key)
            except LedgerUnavailable as exc:
                last = exc
        text = (
            f"cannot tell whether op {change.op_key} ({change.team_id}) was made: the ledger "
            f"did not answer {self.retry.read_attempts} reads ({last}); re-run apply, which "
            "checks the op key first"
        )
        if maybe_written:
            raise _Unknown(text) from last
        raise LedgerUnavailable(text) from last


def _find_op(entries: Iterable[Transaction], op_key: str) -> Transaction | None:
    for entry in entries:
        if notes.op_of(entry.note) == op_key:
            return entry
    return None
