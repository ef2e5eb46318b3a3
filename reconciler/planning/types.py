"""The plan: what ``planner.plan`` computes, ``render`` shows, ``executor.apply`` runs.

Value types only (frozen, slotted). The JSON plan document (DESIGN §7, ``schemas/plan.schema.json``)
is written and read by ``planning.document``; amounts are integer micro-USD here and decimal
strings there. Changes are in execution order: every reclaim, then every allocation.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from reconciler import money
from reconciler.periods import Period

PLAN_FORMAT_VERSION = 1


class Action(enum.StrEnum):
    ALLOCATE = "allocate"
    RECLAIM = "reclaim"


@dataclass(frozen=True, slots=True)
class Change:
    """One movement. ``allocated`` is what the rule counted before it (period mode: allocated in
    the period; balance mode: available now); ``reason`` says in words why it moves."""

    op_key: str
    team_id: str
    action: Action
    amount: int
    envelope: int
    allocated: int
    reason: str
    # A reclaim never takes this much of the team's available balance: the period's net drift
    # inflow left in place under ``drift: warn`` (DESIGN §4.4). Derived afresh from the ledger
    # by every plan, so it is not part of the plan document.
    drift_kept: int = 0


@dataclass(frozen=True, slots=True)
class Exhaustion:
    """A team whose envelope is projected to run out before the period ends (a forecast from
    settlements, made outside the planner and passed in; it moves no money)."""

    team_id: str
    runs_out: date  # UTC date the projected spend reaches the envelope
    days_early: int  # days between that date and the period's last day
    projected_spend: int  # micros over the whole period
    envelope: int

    @property
    def early(self) -> str:
        return f"{self.days_early} day{'' if self.days_early == 1 else 's'} early"

    def sentence(self) -> str:
        return f"{self.team_id} runs out on {self.runs_out.isoformat()}, {self.early}"


@dataclass(frozen=True, slots=True)
class Deficit:
    """Money the rule wants back but cannot reclaim (already spent or reserved)."""

    team_id: str
    amount: int
    reason: str


@dataclass(frozen=True, slots=True)
class DriftItem:
    """An allocation flow on a managed team wallet made outside reconciler (DESIGN §4.4)."""

    team_id: str
    transaction_id: str
    created_at: datetime
    amount: int  # signed, from the team wallet's side: + allocation in, - allocation out
    actor: str | None
    note: str | None
    policy: str  # "warn" (left in place) or "correct" (counted, so it gets reversed)
    # With policy "correct": "reversed" (this plan has the reversing change), "corrected" (the
    # reversal is already in the ledger), "deficit" (wanted back, nothing to reclaim). Empty for
    # "warn", and in plan files written before this field existed.
    status: str = ""

    @property
    def label(self) -> str:
        """What happens to this flow, in words, for the renderers."""
        if self.policy == "warn":
            return "left in place"
        return _DRIFT_LABELS.get(self.status, "reversed by this plan")


DRIFT_REVERSED = "reversed"
DRIFT_CORRECTED = "corrected"
DRIFT_DEFICIT = "deficit"
_DRIFT_LABELS = {
    DRIFT_REVERSED: "reversed by this plan",
    DRIFT_CORRECTED: "corrected (reversal already in the ledger)",
    DRIFT_DEFICIT: "not reversed: nothing available to reclaim (see deficits)",
}


@dataclass(frozen=True, slots=True)
class UnmanagedWallet:
    """A team wallet in the ledger with no Team document: listed, never touched."""

    team_id: str
    wallet_id: str
    balance: int
    available: int


@dataclass(frozen=True, slots=True)
class RoutingChange:
    """A consumer-group -> team-wallet mapping difference; it moves no money."""

    consumer_group: str
    before: str | None  # team id in the base revision, None when the group is new
    after: str | None  # team id now, None when the group was removed


@dataclass(frozen=True, slots=True)
class TeamFingerprint:
    """What a saved plan saw of one touched team, to refuse applying it once that changed."""

    team_id: str
    flows_digest: str  # sha256 over the period's allocation flows (id, type, amount), in order
    flow_count: int


@dataclass(frozen=True, slots=True)
class OrgSummary:
    available_before: int
    available_after: int
    headroom: int


@dataclass(frozen=True, slots=True)
class Plan:
    plan_id: str
    created_at: datetime
    commit: str
    dirty: bool
    org_id: str
    period: Period
    org: OrgSummary
    changes: tuple[Change, ...]
    deficits: tuple[Deficit, ...] = ()
    drift: tuple[DriftItem, ...] = ()
    unmanaged: tuple[UnmanagedWallet, ...] = ()
    routing: tuple[RoutingChange, ...] = ()
    fingerprints: tuple[TeamFingerprint, ...] = ()
    override_reason: str | None = None
    ledger: str | None = None  # the ledger URL the plan was made against (never a token)
    warnings: tuple[str, ...] = field(default=())
    exhaustion: tuple[Exhaustion, ...] = ()  # teams projected to run out before the period ends
    format_version: int = PLAN_FORMAT_VERSION

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def allocate_total(self) -> int:
        return sum(c.amount for c in self.changes if c.action is Action.ALLOCATE)

    @property
    def reclaim_total(self) -> int:
        return sum(c.amount for c in self.changes if c.action is Action.RECLAIM)


GUARD_OVERRIDDEN = "guard overridden"  # how a plan's warnings say a guard was passed


def describe(change: Change) -> str:
    return f"{change.action.value} {money.format_usd(change.amount)} {change.team_id}"
