"""What the reconciliation rule wants for one managed team (DESIGN §4). Pure.

``decide`` classifies the team's period allocation flows (``planning.drift``), computes the
delta for its mode, and turns it into at most one movement plus at most one deficit line, with
the reason in words. ``planner.plan`` orders the decisions and checks funding and guards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reconciler import money, notes
from reconciler.ledger.base import TeamObservation
from reconciler.model import Mode, Team
from reconciler.planning.drift import Flows, classify, describe_drift, drift_status
from reconciler.planning.types import (
    Action,
    Deficit,
    DriftItem,
)


@dataclass(frozen=True, slots=True)
class Decision:
    team: Team
    observation: TeamObservation
    managed_since: datetime | None  # as given (committer time); None = managed from now
    action: Action | None  # None: no movement
    amount: int
    envelope: int
    allocated: int  # what the rule counted (period: allocated in P; balance: available)
    reason: str
    deficit: Deficit | None
    drift: tuple[DriftItem, ...]
    drift_kept: int = 0  # net drift inflow left in place (warn): no reclaim takes it


def is_managed(team: Team, obs: TeamObservation) -> bool:
    """Every Team document is managed, except a tombstone whose wallet is already empty."""
    return not (team.removed and obs.balance <= 0 and obs.reserved <= 0)


def needs_managed_since(obs: TeamObservation | None) -> bool:
    """Whether ``decide`` for a team with observation ``obs`` depends on when the team came
    under management: only an outside flow is adopted or drift by that instant, and only a team
    without one of our flows this period is told "new period" by it. A team whose period flows
    are all reconciler movements (the usual case once applied) is decided without it."""
    if obs is None or not obs.flows:
        return True
    return not all(notes.is_ours(flow.note) for flow in obs.flows)


def decide(
    team: Team,
    obs: TeamObservation,
    managed_since: datetime | None,
    now: datetime,
    *,
    period_start: datetime | None = None,
    previous_envelope: int | None = None,
) -> Decision:
    """What the rule wants for ``team``.

    ``period_start`` and ``previous_envelope`` only shape the reason's words: the period is
    called new only when the team was managed before it started, and an envelope change is
    claimed only when ``previous_envelope`` (the team's envelope at the commit of its newest
    reconciler movement) is what the ledger holds now.
    """
    flows = classify(team, obs, managed_since or now)
    available = max(obs.available, 0)
    if team.removed:
        envelope, allocated = 0, obs.available
        delta, reason = -max(obs.balance, 0), "tombstone: reclaim everything (removed: true)"
    elif team.mode is Mode.BALANCE:
        envelope, allocated = team.envelope, obs.available
        delta, reason = _balance(team, obs, flows)
    else:
        envelope, allocated = team.envelope, flows.counted
        new_period = (
            managed_since is not None and period_start is not None and managed_since < period_start
        )
        delta, reason = _period(team, obs, flows, new_period, previous_envelope)

    # drift: warn leaves outside money in place, so no reclaim may take it (DESIGN §4.4); a
    # tombstone is the one rule that takes everything
    kept = 0 if team.removed else max(sum(t.amount for t in flows.drift_left), 0)
    takeable = max(available - kept, 0)
    action: Action | None = None
    amount = 0
    deficit: Deficit | None = None
    if delta > 0:
        action, amount = Action.ALLOCATE, delta
    elif delta < 0 and team.protect:
        deficit = Deficit(team.id, -delta, "protected: protect: true forbids any reclaim")
    elif delta < 0:
        amount = min(-delta, takeable)
        action = Action.RECLAIM if amount > 0 else None
        remainder = -delta - amount
        if remainder > 0:
            held_drift = min(remainder, available - takeable)
            deficit = Deficit(
                team.id, remainder, _deficit_reason(remainder, obs.reserved, held_drift)
            )
    drift = tuple(
        DriftItem(
            team_id=team.id,
            transaction_id=t.id,
            created_at=t.created_at,
            amount=t.amount,
            actor=t.actor,
            note=t.note,
            policy=team.drift.value,
            status=drift_status(t, flows, action, deficit),
        )
        for t in sorted(
            (*flows.drift_counted, *flows.drift_left), key=lambda t: (t.created_at, t.id)
        )
    )
    return Decision(
        team=team,
        observation=obs,
        managed_since=managed_since,
        action=action,
        amount=amount,
        envelope=envelope,
        allocated=allocated,
        reason=reason,
        deficit=deficit,
        drift=drift,
        drift_kept=kept if action is Action.RECLAIM else 0,
    )


def _period(
    team: Team, obs: TeamObservation, flows: Flows, new_period: bool, previous: int | None
) -> tuple[int, str]:
    carry = 0 if team.rollover else obs.carry
    delta = team.envelope - carry - flows.counted
    drift_net = sum(t.amount for t in flows.drift_pending)
    parts: list[str] = []
    usd = money.format_usd
    if obs.wallet is None and not obs.flows:
        parts.append(f"new team: allocate envelope {usd(team.envelope)}")
    elif flows.base_count == 0:
        why = "new period" if new_period else "nothing allocated this period yet"
        if team.rollover and obs.carry:
            parts.append(
                f"{why}: allocate envelope {usd(team.envelope)} "
                f"(rollover: carry {usd(obs.carry)} stays)"
            )
        elif carry:
            parts.append(
                f"{why}: bring wallet to envelope {usd(team.envelope)} "
                f"(carry {usd(carry)} is not rolled over)"
            )
        else:
            parts.append(f"{why}: allocate envelope {usd(team.envelope)}")
    else:
        prior = flows.counted - drift_net + carry
        if prior != team.envelope and previous == prior:
            verb = "raised" if team.envelope > prior else "lowered"
            parts.append(f"envelope {verb} {usd(prior)} → {usd(team.envelope)}")
        elif prior != team.envelope:
            held = f"allocated {usd(flows.counted - drift_net)} this period"
            if carry:
                held += f" (carry {usd(carry)})"
            parts.append(f"{held}; envelope {usd(team.envelope)}")
    if drift_net:
        parts.append(f"drift correction: {describe_drift(flows.drift_pending)}")
    return delta, "; ".join(parts)


def _balance(team: Team, obs: TeamObservation, flows: Flows) -> tuple[int, str]:
    left = sum(t.amount for t in flows.drift_left)
    target = team.envelope + left
    delta = target - obs.available
    usd = money.format_usd
    verb = "top up" if delta > 0 else "trim"
    reason = f"balance mode: {verb} available {usd(obs.available)} to envelope {usd(team.envelope)}"
    if left:
        reason += f" (target {usd(target)} keeps drift {usd(left, sign=True)} in place)"
    if flows.drift_pending:
        reason += f"; drift correction: {describe_drift(flows.drift_pending)}"
    return delta, reason


def _deficit_reason(remainder: int, reserved: int, drift: int = 0) -> str:
    """Why ``remainder`` cannot be reclaimed: drift left in place, holds, then spend."""
    rest = remainder - drift
    held = min(rest, max(reserved, 0))
    spent = rest - held
    usd = money.format_usd
    if drift:
        parts = [f"{usd(drift)} is drift left in place (drift: warn)"]
        if spent:
            parts.append(f"{usd(spent)} already spent")
        if held:
            parts.append(f"{usd(held)} reserved")
        return "cannot reclaim: " + ", ".join(parts)
    if held and spent:
        return f"cannot reclaim: {usd(spent)} already spent, {usd(held)} reserved"
    if held:
        return f"cannot reclaim: {usd(held)} reserved by requests in flight"
    return f"cannot reclaim: {usd(spent)} already spent"
