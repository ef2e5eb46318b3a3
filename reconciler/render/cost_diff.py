"""The plan as a cost diff: the envelope total before → after, and the teams it changes.

"Before" is each team's envelope at ``--base`` (or the last applied commit), "after" the
budgets now (``Plan.envelopes``). A team is listed when its envelope changes or money moves for
it (a new period funds unchanged envelopes too); the largest envelope changes come first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from reconciler.money import format_usd
from reconciler.planning.types import Plan, TeamEnvelope


@dataclass(frozen=True, slots=True)
class TeamRow:
    team_id: str
    before: str  # "12,000.00", or "new"
    after: str  # "15,000.00", or "removed"
    change: str  # signed: "+3,000.00", "0.00"
    moves: str  # "allocate 3,000.00", "reclaim 1,500.00", or "" when nothing moves


def totals(envelopes: Sequence[TeamEnvelope]) -> tuple[int, int]:
    """Σ envelopes before and after (a team absent on one side counts 0 there)."""
    return sum(e.before or 0 for e in envelopes), sum(e.after or 0 for e in envelopes)


def sigma_line(plan: Plan) -> str | None:
    """``Σ envelopes 41,000.00 → 42,500.00 (+1,500.00, +3.7%)``; None without envelopes."""
    if not plan.envelopes:
        return None
    before, after = totals(plan.envelopes)
    change = format_usd(after - before, sign=True)
    if before == 0:
        return f"Σ envelopes {format_usd(before)} → {format_usd(after)} ({change})"
    percent = (Decimal(after - before) * 100 / Decimal(before)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    sign = "+" if percent > 0 else ""
    return f"Σ envelopes {format_usd(before)} → {format_usd(after)} ({change}, {sign}{percent}%)"


def team_rows(plan: Plan) -> list[TeamRow]:
    moves: dict[str, list[str]] = {}
    for c in plan.changes:
        moves.setdefault(c.team_id, []).append(f"{c.action.value} {format_usd(c.amount)}")
    listed = [e for e in plan.envelopes if e.before != e.after or e.team_id in moves]
    listed.sort(key=lambda e: (-abs((e.after or 0) - (e.before or 0)), e.team_id))
    return [
        TeamRow(
            team_id=e.team_id,
            before="new" if e.before is None else format_usd(e.before),
            after="removed" if e.after is None else format_usd(e.after),
            change=format_usd((e.after or 0) - (e.before or 0), sign=True),
            moves=", ".join(moves.get(e.team_id, [])),
        )
        for e in listed
    ]
