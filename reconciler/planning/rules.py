"""What the reconciliation rule wants for one managed team (DESIGN §4). Pure.

``decide`` classifies the team's period allocation flows (ours, adopted, drift), computes the
delta for its mode, and turns it into at most one movement plus at most one deficit line, with
the reason in words. ``planner.plan`` orders the decisions and checks funding and guards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from reconciler import money, notes
from reconciler.ledger.base import EntryType, TeamObservation, Transaction
from reconciler.model import DriftPolicy, Mode, Team
from reconciler.planning.types import (
    DRIFT_CORRECTED,
    DRIFT_DEFICIT,
    DRIFT_REVERSED,
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


@dataclass(frozen=True, slots=True)
class _Flows:
    counted: int  # ours + adopted (+ drift when drift: correct)
    base_count: int  # how many ours + adopted flows
    drift_counted: tuple[Transaction, ...]  # drift the plan reverses (drift: correct)
    drift_left: tuple[Transaction, ...]  # drift left in place (drift: warn)
    # the counted drift no reconciler movement has followed yet (no apply has reversed it)
    drift_pending: tuple[Transaction, ...] = ()


def is_managed(team: Team, obs: TeamObservation) -> bool:
    """Every Team document is managed, except a tombstone whose wallet is already empty."""
    return not (team.removed and obs.balance <= 0 and obs.reserved <= 0)


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
    flows = _classify(team, obs, managed_since or now)
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
            status=_drift_status(t, flows, action, deficit),
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


def _drift_status(
    flow: Transaction,
    flows: _Flows,
    action: Action | None,
    deficit: Deficit | None,
) -> str:
    """Where a counted drift flow stands (``DriftItem.status``); empty when it is left in place.

    A reconciler movement after the flow was planned with the flow counted, so it already
    reversed it; without one, the flow is reversed by this plan's change for the team, or is a
    deficit, or (no change, no deficit) its net is already matched in the ledger.
    """
    if flow not in flows.drift_counted:
        return ""
    if flow not in flows.drift_pending:
        return DRIFT_CORRECTED
    if action is not None:
        return DRIFT_REVERSED
    return DRIFT_DEFICIT if deficit is not None else DRIFT_CORRECTED


def adopted_before(managed_since: datetime) -> datetime:
    """The instant before which a flow is adopted: the END of the commit's second.

    git records committer time in whole seconds, so a flow made in the same second as the commit
    that added the Team document may have come first; adopting it is the safe direction (it is
    counted, never funded twice). This is the one place that rounds ``managed_since``.
    """
    return managed_since.replace(microsecond=0) + timedelta(seconds=1)


def _classify(team: Team, obs: TeamObservation, since: datetime) -> _Flows:
    base, base_count = 0, 0
    counted: list[Transaction] = []
    left: list[Transaction] = []
    cutoff = adopted_before(since)
    for flow in obs.flows:
        if notes.parse_note(flow.note) is not None or flow.created_at < cutoff:
            base += flow.amount
            base_count += 1
        elif team.drift is DriftPolicy.CORRECT:
            counted.append(flow)
        else:
            left.append(flow)
    total = base + sum(t.amount for t in counted)
    # flows come in ledger order: a reconciler movement after a drift flow was planned with it
    ours = [i for i, f in enumerate(obs.flows) if notes.parse_note(f.note) is not None]
    after = obs.flows[max(ours) + 1 :] if ours else obs.flows
    pending = tuple(t for t in counted if t in after)
    return _Flows(total, base_count, tuple(counted), tuple(left), pending)


def _period(
    team: Team, obs: TeamObservation, flows: _Flows, new_period: bool, previous: int | None
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
        parts.append(f"drift correction: {_describe_drift(flows.drift_pending)}")
    return delta, "; ".join(parts)


def _balance(team: Team, obs: TeamObservation, flows: _Flows) -> tuple[int, str]:
    left = sum(t.amount for t in flows.drift_left)
    target = team.envelope + left
    delta = target - obs.available
    usd = money.format_usd
    verb = "top up" if delta > 0 else "trim"
    reason = f"balance mode: {verb} available {usd(obs.available)} to envelope {usd(team.envelope)}"
    if left:
        reason += f" (target {usd(target)} keeps drift {usd(left, sign=True)} in place)"
    if flows.drift_pending:
        reason += f"; drift correction: {_describe_drift(flows.drift_pending)}"
    return delta, reason


def _describe_drift(flows: tuple[Transaction, ...]) -> str:
    if len(flows) == 1:
        flow = flows[0]
        kind = "allocation" if flow.type is EntryType.ALLOCATION_IN else "reclaim"
        who = flow.actor or "outside"
        return f"reverse {who} {kind} of {money.format_usd(abs(flow.amount))}"
    net = sum(t.amount for t in flows)
    return f"reverse {len(flows)} outside movements (net {money.format_usd(net, sign=True)})"


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
