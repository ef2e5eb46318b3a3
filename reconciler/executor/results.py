"""What an apply reports: one ``StepResult`` per change of the plan, in the plan's order."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from reconciler.planning.types import Action, Change


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
