"""Drift classification (DESIGN §4.4): which of a team's allocation flows are ours, adopted or
drift, and where each counted drift flow stands. Pure.

A flow is **ours** when its note parses as a reconciler note, **adopted** when it came before the
team came under management (``adopted_before`` rounds that instant to the end of the commit's
second), and **drift** otherwise: counted (``drift: correct``, so the plan reverses it) or left in
place (``drift: warn``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from reconciler import money, notes
from reconciler.ledger.base import EntryType, TeamObservation, Transaction
from reconciler.model import DriftPolicy, Team
from reconciler.planning.types import (
    DRIFT_CORRECTED,
    DRIFT_DEFICIT,
    DRIFT_REVERSED,
    Action,
    Deficit,
)


@dataclass(frozen=True, slots=True)
class Flows:
    counted: int  # ours + adopted (+ drift when drift: correct)
    base_count: int  # how many ours + adopted flows
    drift_counted: tuple[Transaction, ...]  # drift the plan reverses (drift: correct)
    drift_left: tuple[Transaction, ...]  # drift left in place (drift: warn)
    # the counted drift no reconciler movement has followed yet (no apply has reversed it)
    drift_pending: tuple[Transaction, ...] = ()


def drift_status(
    flow: Transaction,
    flows: Flows,
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


OURS, ADOPTED, DRIFT = "ours", "adopted", "drift"


def flow_kind(flow: Transaction, managed_since: datetime | None) -> str:
    """``OURS`` (a reconciler note), ``ADOPTED`` (before the team came under management, or no
    Team document ever: ``managed_since`` None) or ``DRIFT``: the one rule, for plan and audit."""
    if notes.is_ours(flow.note):
        return OURS
    if managed_since is None or flow.created_at < adopted_before(managed_since):
        return ADOPTED
    return DRIFT


def classify(team: Team, obs: TeamObservation, since: datetime) -> Flows:
    base, base_count = 0, 0
    counted: list[Transaction] = []
    left: list[Transaction] = []
    for flow in obs.flows:
        if flow_kind(flow, since) != DRIFT:
            base += flow.amount
            base_count += 1
        elif team.drift is DriftPolicy.CORRECT:
            counted.append(flow)
        else:
            left.append(flow)
    total = base + sum(t.amount for t in counted)
    # flows come in ledger order: a reconciler movement after a drift flow was planned with it
    ours = [i for i, f in enumerate(obs.flows) if notes.is_ours(f.note)]
    after = obs.flows[max(ours) + 1 :] if ours else obs.flows
    pending = tuple(t for t in counted if t in after)
    return Flows(total, base_count, tuple(counted), tuple(left), pending)


def describe_drift(flows: tuple[Transaction, ...]) -> str:
    if len(flows) == 1:
        flow = flows[0]
        kind = "allocation" if flow.type is EntryType.ALLOCATION_IN else "reclaim"
        who = flow.actor or "outside"
        return f"reverse {who} {kind} of {money.format_usd(abs(flow.amount))}"
    net = sum(t.amount for t in flows)
    return f"reverse {len(flows)} outside movements (net {money.format_usd(net, sign=True)})"
