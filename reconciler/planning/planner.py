"""The planner: desired envelopes + observed ledger -> the Plan (DESIGN §4). Pure, no I/O.

``plan`` is deterministic: the same inputs give a byte-identical plan document. It decides, per
managed team, what the rule wants (``planning.rules``), orders the movements (every reclaim,
then every allocation, each group by team id), checks that the organization wallet can fund the
allocations above ``headroom``, applies the guards, and names every movement with its op key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from reconciler import money, notes, periods
from reconciler.errors import FundingError, GuardError, PlanError
from reconciler.history import History
from reconciler.ledger.base import Observed, TeamObservation
from reconciler.model import DesiredState, Organization
from reconciler.planning import document
from reconciler.planning.rules import Decision, decide, is_managed
from reconciler.planning.staleness import flows_digest
from reconciler.planning.types import (
    GUARD_OVERRIDDEN,
    Action,
    Change,
    Exhaustion,
    OrgSummary,
    Plan,
    TeamFingerprint,
    UnmanagedWallet,
)

OVERRIDE_HINT = '--override-guards "reason"'


def plan(
    desired: DesiredState,
    observed: Observed,
    history: History,
    *,
    now: datetime,
    override_reason: str | None = None,
    ledger_url: str | None = None,
    exhaustion: tuple[Exhaustion, ...] = (),
) -> Plan:
    """The plan that brings the ledger to ``desired`` in the period containing ``now``.

    Raises FundingError when the organization wallet cannot fund the allocations above its
    headroom, and GuardError when a guard is exceeded and ``override_reason`` is None.
    ``history`` holds what git says: the commit and dirty flag, when each team came under
    management, earlier envelopes (only for the words of reasons) and routing changes.
    """
    org = desired.organization
    period = periods.period_at(org.period, now)
    decisions = _decide(
        desired, observed, history.managed_since, history.previous_envelopes or {}, now, period
    )
    reclaims = sorted((d for d in decisions if d.action is Action.RECLAIM), key=_team_id)
    allocations = sorted((d for d in decisions if d.action is Action.ALLOCATE), key=_team_id)
    summary, warnings = _fund(org, observed.org_wallet.available, reclaims, allocations)
    warnings.extend(_guard(desired, decisions, reclaims, allocations, override_reason))
    fingerprints = _fingerprints(decisions)
    changes = _changes(org.id, period.id, history.commit, [*reclaims, *allocations], fingerprints)
    deficits = tuple(d.deficit for d in decisions if d.deficit is not None)
    warnings.extend(_drift_warnings(decisions))
    warnings.extend(
        f"{d.team_id}: deficit {money.format_usd(d.amount)} ({d.reason})" for d in deficits
    )
    unnamed = Plan(
        plan_id="",
        created_at=now,
        commit=history.commit,
        dirty=history.dirty,
        org_id=org.id,
        period=period,
        org=summary,
        changes=changes,
        deficits=deficits,
        drift=tuple(item for d in decisions for item in d.drift),
        unmanaged=_unmanaged(desired, observed),
        routing=history.routing,
        fingerprints=tuple(fingerprints.values()),
        override_reason=override_reason,
        ledger=ledger_url,
        warnings=tuple(warnings),
        exhaustion=exhaustion,
        envelopes=history.envelopes or (),
    )
    return replace(unnamed, plan_id=document.content_id(unnamed))


def _decide(
    desired: DesiredState,
    observed: Observed,
    managed_since: Mapping[str, datetime],
    previous_envelopes: Mapping[str, int],
    now: datetime,
    period: periods.Period,
) -> list[Decision]:
    """Step 1: what the rule wants for every managed team (tombstones already empty are not)."""
    wallets = {w.owner_id for w in observed.team_wallets}
    decisions: list[Decision] = []
    for team in desired.teams:
        obs = observed.teams.get(team.id)
        if obs is None and team.id in wallets:
            raise PlanError(
                f"{team.id}: the ledger lists its wallet but returned no flows for it: "
                "re-run the plan"
            )
        obs = obs or TeamObservation(team.id, None, (), 0)
        if is_managed(team, obs):
            decisions.append(
                decide(
                    team,
                    obs,
                    managed_since.get(team.id),
                    now,
                    period_start=period.start,
                    previous_envelope=previous_envelopes.get(team.id),
                )
            )
    return decisions


def _fund(
    org: Organization, before: int, reclaims: list[Decision], allocations: list[Decision]
) -> tuple[OrgSummary, list[str]]:
    """Step 2: the organization wallet after every reclaim, then every allocation; FundingError
    when the allocations would take it below headroom, a warning when it already is."""
    reclaim_total = sum(d.amount for d in reclaims)
    allocate_total = sum(d.amount for d in allocations)
    after_reclaims = before + reclaim_total
    after = after_reclaims - allocate_total
    warnings: list[str] = []
    if allocate_total and after < org.headroom:
        raise FundingError(
            f"organization wallet needs {money.format_usd(org.headroom - after)} more credits "
            f"(available {money.format_usd(after_reclaims)} after reclaims, allocations "
            f"{money.format_usd(allocate_total)}, headroom {money.format_usd(org.headroom)}): "
            "credit the organization wallet or lower envelopes"
        )
    if after < org.headroom:
        warnings.append(
            f"organization wallet available {money.format_usd(after)} is below headroom "
            f"{money.format_usd(org.headroom)}: credit the organization wallet"
        )
    summary = OrgSummary(available_before=before, available_after=after, headroom=org.headroom)
    return summary, warnings


def _guard(
    desired: DesiredState,
    decisions: list[Decision],
    reclaims: list[Decision],
    allocations: list[Decision],
    override_reason: str | None,
) -> list[str]:
    """Step 3: the guards. GuardError unless overridden; an override is a warning per guard."""
    movement = sum(d.amount for d in reclaims) + sum(d.amount for d in allocations)
    violations = _guard_violations(desired, decisions, reclaims, movement)
    if violations and override_reason is None:
        raise GuardError(
            f"{'; '.join(violations)}: review the plan, then re-run with {OVERRIDE_HINT}"
        )
    return [f"{GUARD_OVERRIDDEN} ({override_reason}): {v}" for v in violations]


def _fingerprints(decisions: list[Decision]) -> dict[str, TeamFingerprint]:
    """Step 4: what the plan saw of every team it touches (a movement or a deficit)."""
    touched = [d for d in decisions if d.action is not None or d.deficit is not None]
    return {
        d.team.id: TeamFingerprint(d.team.id, *flows_digest(d.observation.flows)) for d in touched
    }


def _changes(
    org_id: str,
    period_id: str,
    commit: str,
    ordered: list[Decision],
    fingerprints: Mapping[str, TeamFingerprint],
) -> tuple[Change, ...]:
    """Step 5: the movements in execution order, each named by its op key (DESIGN §5)."""
    return tuple(
        Change(
            op_key=notes.op_key(
                org_id,
                period_id,
                d.team.id,
                d.action.value,
                d.amount,
                commit,
                fingerprints[d.team.id].flows_digest,
            ),
            team_id=d.team.id,
            action=d.action,
            amount=d.amount,
            envelope=d.envelope,
            allocated=d.allocated,
            reason=d.reason,
            drift_kept=d.drift_kept,
        )
        for d in ordered
        if d.action is not None
    )


def _team_id(decision: Decision) -> str:
    return decision.team.id


def _guard_violations(
    desired: DesiredState, decisions: list[Decision], reclaims: list[Decision], movement: int
) -> list[str]:
    guards = desired.organization.guards
    found: list[str] = []
    limit = guards.max_movement_per_apply
    if limit is not None and movement > limit:
        found.append(
            f"plan moves {money.format_usd(movement)} credits, over guard "
            f"max_movement_per_apply {money.format_usd(limit)}"
        )
    limit = guards.max_reclaim_per_apply
    reclaim_total = sum(d.amount for d in reclaims)
    if limit is not None and reclaim_total > limit:
        found.append(
            f"plan reclaims {money.format_usd(reclaim_total)} credits, over guard "
            f"max_reclaim_per_apply {money.format_usd(limit)}"
        )
    found.extend(_empty_set_violation(decisions, reclaims))
    return found


def _empty_set_violation(decisions: list[Decision], reclaims: list[Decision]) -> list[str]:
    """The empty-set guard: the budgets want money back from every live managed team.

    A team is wanted lower when the rule gives it a reclaim or a deficit (protected, or nothing
    available to take): both mean the budgets ask for less than the team holds. Tombstones are
    left out (reclaiming them is their purpose); at least two live teams, and at least one
    reclaim (a plan that moves nothing takes nothing), are needed for the guard to trip.
    """
    live = [d for d in decisions if not d.team.removed]
    lower = [d for d in live if d.action is Action.RECLAIM or d.deficit is not None]
    if not reclaims or len(live) < 2 or len(lower) < len(live):
        return []
    reclaimed = sum(1 for d in lower if d.action is Action.RECLAIM)
    detail = f"{reclaimed} reclaimed"
    if reclaimed < len(lower):
        detail += f", {len(lower) - reclaimed} left as a deficit"
    return [
        f"plan takes money from every managed team ({len(live)} teams: {detail}), as if the "
        "budgets were deleted or zeroed (empty-set guard)"
    ]


def _drift_warnings(decisions: list[Decision]) -> list[str]:
    result = []
    for d in decisions:
        left = [item for item in d.drift if item.policy == "warn"]
        if left:
            net = sum(item.amount for item in left)
            result.append(
                f"{d.team.id}: {len(left)} allocation flow(s) made outside reconciler "
                f"(net {money.format_usd(net, sign=True)}) left in place (drift: warn)"
            )
    return result


def _unmanaged(desired: DesiredState, observed: Observed) -> tuple[UnmanagedWallet, ...]:
    declared = {team.id for team in desired.teams}
    return tuple(
        UnmanagedWallet(w.owner_id, w.id, w.balance, w.available)
        for w in sorted(observed.team_wallets, key=lambda w: (w.owner_id, w.id))
        if w.owner_id not in declared
    )


__all__ = [
    "OVERRIDE_HINT",
    "plan",
]
