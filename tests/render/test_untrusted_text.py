"""Renderers added after the plan and wallet tables escape untrusted text with the same rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reconciler.executor import StepResult, StepStatus
from reconciler.periods import PeriodKind, period_at
from reconciler.planning.types import Action, Change
from reconciler.render.apply import step_line
from reconciler.render.usage import render_usage
from reconciler.usage import GroupUsage, Usage

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
FORGING = ["\u2028", "\x85", "\n", "\u202e", "\u200b", "\x1b"]


@pytest.mark.parametrize("char", FORGING)
def test_an_apply_line_shows_a_ledger_error_on_one_line(char: str) -> None:
    change = Change("0" * 16, "team_a", Action.ALLOCATE, 1_000_000, 1_000_000, 0, "new team")
    step = StepResult(change, StepStatus.FAILED, detail=f"refused{char}applied  allocate 9.00")
    line = step_line(step)
    shown = repr(char)[1:-1]
    assert char not in line
    assert line == f"failed        allocate 1.00 team_a: refused{shown}applied  allocate 9.00"


@pytest.mark.parametrize("char", FORGING)
def test_usage_by_group_shows_a_ledger_key_on_one_row(char: str) -> None:
    usage = Usage(
        org_id="org_acme",
        period=period_at(PeriodKind.MONTHLY, NOW),
        now=NOW,
        by="user",
        teams=(),
        groups=(GroupUsage(f"bob{char}mallory", 2_000_000, 1),),
        total_spent=2_000_000,
        unattributed_spent=0,
        org_available=0,
        unattributed_cost_tickets=None,
    )
    text = render_usage(usage, "text")
    assert char not in text.replace("\n", "") or char == "\n"
    (row,) = [line for line in text.splitlines() if line.startswith("bob")]
    assert row.split() == [f"bob{repr(char)[1:-1]}mallory", "2.00", "1"]
