"""An apply for people and CI: one line per movement (``step_line``), the closing ``summary``,
and the result document (``result_document``/``dumps``, JSON with ``format_version``) that
``apply --result FILE`` writes for CI artifacts."""

from __future__ import annotations

import json
from typing import Any

from reconciler import money
from reconciler.executor import ApplyResult, StepResult, StepStatus
from reconciler.planning.types import Action, describe
from reconciler.text import printable


def step_line(step: StepResult) -> str:
    """One line per step for logs: status, movement, and what happened (the ledger's words,
    through ``text.printable``: a ledger error message cannot forge a log line)."""
    text = f"{step.status.value:<13} {describe(step.change)}"
    if step.transaction_id:
        text += f" ({step.transaction_id})"
    if step.detail:
        text += f": {step.detail}"
    return printable(text)


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


RESULT_FORMAT_VERSION = 1


def result_document(result: ApplyResult) -> dict[str, Any]:
    """Every movement applied, skipped, failed or not attempted, with the totals."""
    return {
        "format_version": RESULT_FORMAT_VERSION,
        "plan_id": result.plan_id,
        "commit": result.commit,
        "complete": result.complete,
        "interrupted": result.interrupted,
        "summary": {
            **{status.value: result.count(status) for status in StepStatus},
            "allocated_total": money.decimal_str(result.total(Action.ALLOCATE)),
            "reclaimed_total": money.decimal_str(result.total(Action.RECLAIM)),
        },
        "steps": [
            {
                "op_key": s.change.op_key,
                "team_id": s.change.team_id,
                "action": s.change.action.value,
                "planned_amount": money.decimal_str(s.change.amount),
                "amount": money.decimal_str(s.amount),
                "status": s.status.value,
                "transaction_id": s.transaction_id,
                "detail": s.detail,
            }
            for s in result.steps
        ],
    }


def dumps(result: ApplyResult) -> str:
    """The result document as text: 2-space indented JSON ending with a newline."""
    return json.dumps(result_document(result), indent=2) + "\n"
