"""Next envelopes from real spend: a documented formula, never a movement of money.

For each managed team, with its attributed spend (``usage``) in each of the last N complete
periods and the current period's projected spend (``forecast``):

    demand    = max(P90 of the N periods' spend (nearest rank), current projection)
    suggested = ceil_to_cent(demand × (1 + buffer / 100)), clamped to
                [envelope_min, envelope_max] when the Team sets them

``suggest --whatif`` adds the evidence: ``evidence`` replays the same periods (and the
current one so far) against the suggested and the current envelopes.

Nearest-rank P90 of n values: the ⌈0.9·n⌉-th smallest (with 3 periods, the largest). A team
with no spend at all keeps its envelope (basis says so). Periods before the ledger's first
entry count as 0 spend, which is what they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, Decimal

from reconciler.ledger.base import Ledger
from reconciler.model import DesiredState
from reconciler.money import CENT_MICROS, format_usd
from reconciler.periods import Period, period_at, previous
from reconciler.usage import compute
from reconciler.whatif import Report, compare, with_envelopes
from reconciler.whatif_history import periods_to_replay, read_history, replayable

DEFAULT_PERIODS = 3
DEFAULT_BUFFER = Decimal(20)


@dataclass(frozen=True, slots=True)
class Suggestion:
    team_id: str
    current: int  # micros
    suggested: int  # micros, whole cents
    basis: str


def percentile_90(values: list[int]) -> int:
    """Nearest-rank 90th percentile (0 for no values)."""
    if not values:
        return 0
    ordered = sorted(values)
    rank = -(-9 * len(ordered) // 10)  # ceil(0.9 n)
    return ordered[rank - 1]


def ceil_to_cent(micros: Decimal) -> int:
    cents = (micros / CENT_MICROS).to_integral_value(rounding=ROUND_CEILING)
    return int(cents) * CENT_MICROS


def suggest_one(
    current: int,
    history: list[int],
    projection: int | None,
    buffer: Decimal,
    bounds: tuple[int | None, int | None],
) -> tuple[int, str]:
    """(suggested envelope, basis) for one team (see the module docstring)."""
    p90 = percentile_90(history)
    demand = max(p90, projection or 0)
    if demand == 0:
        return current, "no spend in the periods looked at: envelope kept"
    raw = ceil_to_cent(Decimal(demand) * (1 + buffer / 100))
    low, high = bounds
    suggested = max(raw, low) if low is not None else raw
    suggested = min(suggested, high) if high is not None else suggested
    source = (
        f"P90 of {len(history)} period(s) {format_usd(p90)}"
        if p90 >= (projection or 0)
        else f"projection {format_usd(projection or 0)}"
    )
    basis = f"{source} + {buffer.normalize():f}% buffer = {format_usd(raw)}"
    if suggested != raw:
        basis += f", clamped to {format_usd(suggested)} (envelope_min/envelope_max)"
    return suggested, basis


def suggest(
    desired: DesiredState,
    ledger: Ledger,
    now: datetime,
    *,
    periods: int = DEFAULT_PERIODS,
    buffer: Decimal = DEFAULT_BUFFER,
) -> list[Suggestion]:
    """One suggestion per managed team, in team id order."""
    current_period = period_at(desired.organization.period, now)
    history: dict[str, list[int]] = {t.id: [] for t in desired.teams}
    past: Period = current_period
    for _ in range(periods):
        past = previous(past)
        for row in compute(desired, ledger, past, now).teams:
            history[row.team_id].append(row.spent)
    current = {row.team_id: row for row in compute(desired, ledger, current_period, now).teams}
    found = []
    for team in desired.teams:
        if team.removed:
            continue
        suggested, basis = suggest_one(
            team.envelope,
            history[team.id],
            current[team.id].forecast.projected_spend,
            buffer,
            (team.envelope_min, team.envelope_max),
        )
        found.append(Suggestion(team.id, team.envelope, suggested, basis))
    return found


def evidence(
    desired: DesiredState, ledger: Ledger, now: datetime, found: list[Suggestion], *, periods: int
) -> Report | None:
    """The suggested envelopes replayed against the spend of the last ``periods`` complete
    periods and the current one so far, next to the envelopes in the budgets (docs/whatif.md);
    None when the ledger has no history in those periods."""
    chosen = periods_to_replay(desired.organization.period, now, periods, current=True)
    kept = replayable(read_history(ledger, desired, chosen, as_of=now))
    if not kept:
        return None
    return compare(
        with_envelopes(desired, {s.team_id: s.suggested for s in found}),
        kept,
        base=desired,
        as_of=now,
        base_name="with the current envelopes",
        title="current → suggested envelopes",
    )
