"""An apply for people and CI logs: one line per movement (``step_line``), the closing
``summary``."""

from __future__ import annotations

from reconciler import money
from reconciler.executor import ApplyResult, StepResult, StepStatus
from reconciler.planning.types import Action, describe


def step_line(step: StepResult) -> str:
    """One line per step for logs: status, movement, and what happened."""
    text = f"{step.status.value:<13} {describe(step.change)}"
    if step.transaction_id:
        text += f" ({step.transaction_id})"
    if step.detail:
        text += f": {step.detail}"
    return text


def summary(result: ApplyResult) -> str:
    moved = len(result.applied)
    noun = "movement" if moved == 1 else "movements"
    line = (
        f"Applied {moved} {noun} (allocated "
        f"{money.format_usd(result.total(Action.ALLOCATE))}, reclaimed "
        f"{money.format_usd(result.total(Action.RECLAIM))}) at commit {result.commit[:7]}"
    )
    skipped = [s for s in result.steps if s.status is StepStatus.SKIPPED]
    present = sum(1 for s in skipped if s.transaction_id)
    if present:
        line += f"; {present} already in the ledger"
    if len(skipped) > present:
        line += f"; {len(skipped) - present} reclaim(s) had nothing left to take"
    return line + "; plan is now empty"
