"""What a plan rendering says, computed once from the Plan; text and markdown lay it out.

``sections(plan)`` returns the head (plan, organization, period, commit, ledger, guard
override, the cost diff's Σ line), the summary (totals and the organization wallet), the cost
diff's team rows, the changes in execution order, then the list sections in the order both
renderings show them: forecast, deficits, drift, unmanaged wallets, routing changes, warnings
(each only when it has rows).

Amounts, dates and times are formatted here, once. Text that comes from the budgets or the
ledger (ids, reasons, notes, actors, warnings) is kept as it came: each renderer passes it
through its own sanitiser (``text.printable`` for a terminal, ``terminal.markdown_escape`` for
markdown), so this model never decides how untrusted text is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.clock import table_time
from reconciler.ledger import redacted
from reconciler.money import format_usd
from reconciler.planning.types import Action, Change, Plan
from reconciler.render.cost_diff import TeamRow, sigma_line, team_rows

NO_CHANGES = "No changes. The ledger matches the budgets."

HELD_LEGEND = (
    "held: already counted toward the envelope (allocated this period + carry not rolled over; "
    "balance mode: available); the gap to the envelope is the amount plus any deficit."
)


def held(plan: Plan, change: Change) -> int:
    """What the rule counted toward ``change``'s envelope: envelope - delta, in micros.

    The delta is the movement (+ for an allocate, - for a reclaim) plus the team's deficit (what
    a reclaim could not take), so the row's numbers add up on screen whatever the mode."""
    if change.action is Action.ALLOCATE:
        return change.envelope - change.amount
    short = sum(d.amount for d in plan.deficits if d.team_id == change.team_id)
    return change.envelope + change.amount + short


@dataclass(frozen=True, slots=True)
class Head:
    plan_id: str
    org_id: str  # untrusted
    period_id: str
    span: str  # "all time", or "2026-11-01 → 2026-12-01, UTC"
    commit: str  # the first 12 characters
    dirty: bool
    ledger: str | None  # redacted for display; None when the plan names no ledger
    override_reason: str | None  # untrusted
    sigma: str | None  # the cost diff's Σ line; None without envelopes


@dataclass(frozen=True, slots=True)
class Summary:
    allocate: str
    reclaim: str
    available_before: str
    available_after: str
    headroom: str
    below_headroom: bool  # the organization ends below its headroom
    changes: int


@dataclass(frozen=True, slots=True)
class ChangeRow:
    index: int  # 1-based, in execution order
    action: Action
    team_id: str  # untrusted
    amount: str
    envelope: str
    held: str
    reason: str  # untrusted


@dataclass(frozen=True, slots=True)
class ForecastRow:
    team_id: str  # untrusted
    runs_out: str  # ISO date
    early: str  # "3 days early"
    sentence: str  # "team_x runs out on 2026-11-20, 10 days early" (holds the team id)
    projected: str
    envelope: str


@dataclass(frozen=True, slots=True)
class DeficitRow:
    team_id: str  # untrusted
    amount: str
    reason: str  # untrusted


@dataclass(frozen=True, slots=True)
class DriftRow:
    when: str  # "2026-11-02 09:00:00Z"
    team_id: str  # untrusted
    amount: str  # signed
    actor: str | None  # untrusted
    label: str  # what happens to the flow
    note: str | None  # untrusted


@dataclass(frozen=True, slots=True)
class UnmanagedRow:
    team_id: str  # untrusted
    balance: str
    available: str


@dataclass(frozen=True, slots=True)
class RoutingRow:
    consumer_group: str  # untrusted
    before: str | None  # untrusted; None: the group is new
    after: str | None  # untrusted; None: the group was removed


@dataclass(frozen=True, slots=True)
class Forecast:
    rows: tuple[ForecastRow, ...]


@dataclass(frozen=True, slots=True)
class Deficits:
    rows: tuple[DeficitRow, ...]


@dataclass(frozen=True, slots=True)
class Drift:
    rows: tuple[DriftRow, ...]


@dataclass(frozen=True, slots=True)
class Unmanaged:
    rows: tuple[UnmanagedRow, ...]


@dataclass(frozen=True, slots=True)
class Routing:
    rows: tuple[RoutingRow, ...]


@dataclass(frozen=True, slots=True)
class Warnings:
    rows: tuple[str, ...]  # untrusted


ListSection = Forecast | Deficits | Drift | Unmanaged | Routing | Warnings


@dataclass(frozen=True, slots=True)
class PlanSections:
    head: Head
    summary: Summary
    teams: tuple[TeamRow, ...]  # the cost diff per team (empty without envelopes)
    changes: tuple[ChangeRow, ...]
    lists: tuple[ListSection, ...]  # non-empty ones only, in rendering order

    @property
    def longest(self) -> int:
        """The most rows of any one list (the markdown comment cuts every list to fit)."""
        counts = [len(self.teams), len(self.changes), *(len(s.rows) for s in self.lists)]
        return max(counts)


def sections(plan: Plan) -> PlanSections:
    """The plan as its sections, every amount formatted once."""
    return PlanSections(
        head=_head(plan),
        summary=_summary(plan),
        teams=tuple(team_rows(plan)),
        changes=tuple(
            ChangeRow(
                index=index,
                action=change.action,
                team_id=change.team_id,
                amount=format_usd(change.amount),
                envelope=format_usd(change.envelope),
                held=format_usd(held(plan, change)),
                reason=change.reason,
            )
            for index, change in enumerate(plan.changes, start=1)
        ),
        lists=tuple(section for section in _lists(plan) if section.rows),
    )


def _head(plan: Plan) -> Head:
    period = plan.period
    span = (
        "all time"
        if period.id == "all"
        else f"{period.start:%Y-%m-%d} → {period.end:%Y-%m-%d}, UTC"
    )
    return Head(
        plan_id=plan.plan_id,
        org_id=plan.org_id,
        period_id=period.id,
        span=span,
        commit=plan.commit[:12],
        dirty=plan.dirty,
        ledger=redacted(plan.ledger) if plan.ledger else None,
        override_reason=plan.override_reason,
        sigma=sigma_line(plan),
    )


def _summary(plan: Plan) -> Summary:
    org = plan.org
    return Summary(
        allocate=format_usd(plan.allocate_total),
        reclaim=format_usd(plan.reclaim_total),
        available_before=format_usd(org.available_before),
        available_after=format_usd(org.available_after),
        headroom=format_usd(org.headroom),
        below_headroom=org.available_after < org.headroom,
        changes=len(plan.changes),
    )


def _lists(plan: Plan) -> list[ListSection]:
    return [
        Forecast(
            tuple(
                ForecastRow(
                    team_id=e.team_id,
                    runs_out=e.runs_out.isoformat(),
                    early=e.early,
                    sentence=e.sentence(),
                    projected=format_usd(e.projected_spend),
                    envelope=format_usd(e.envelope),
                )
                for e in plan.exhaustion
            )
        ),
        Deficits(
            tuple(DeficitRow(d.team_id, format_usd(d.amount), d.reason) for d in plan.deficits)
        ),
        Drift(
            tuple(
                DriftRow(
                    when=f"{table_time(d.created_at)}Z",
                    team_id=d.team_id,
                    amount=format_usd(d.amount, sign=True),
                    actor=d.actor,
                    label=d.label,
                    note=d.note,
                )
                for d in plan.drift
            )
        ),
        Unmanaged(
            tuple(
                UnmanagedRow(u.team_id, format_usd(u.balance), format_usd(u.available))
                for u in plan.unmanaged
            )
        ),
        Routing(tuple(RoutingRow(r.consumer_group, r.before, r.after) for r in plan.routing)),
        Warnings(plan.warnings),
    ]
