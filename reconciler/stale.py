"""Saved-plan staleness (DESIGN §8): may this plan still be applied as it is?

A plan file is refused when its changes were edited (an op key no longer matches its change),
when its period has ended, when HEAD is no longer the commit it was made at, or when a team it
touches had allocation flows added or removed since (flows carrying the plan's own op keys do
not count, so a partly applied plan can be resumed). Spend alone never
makes a plan stale: reclaims are re-clamped to the available balance when they run.
"""

from __future__ import annotations

from datetime import datetime

from reconciler import money, notes
from reconciler.errors import PlanError, StalePlanError
from reconciler.ledger.base import Ledger, TeamObservation
from reconciler.plan import Plan, TeamFingerprint
from reconciler.planner import flows_digest


def check_op_keys(plan: Plan) -> None:
    """Raise PlanError when a change's op key is not the one its own fields derive (DESIGN §5).

    The op key hashes (org, period, team, action, amount, commit, plan id, position), so a plan
    file whose changes were edited (amount, team, action, order) is caught offline.
    """
    for index, change in enumerate(plan.changes):
        expected = notes.op_key(
            plan.org_id,
            plan.period.id,
            change.team_id,
            change.action.value,
            change.amount,
            plan.commit,
            plan.plan_id,
            index,
        )
        if change.op_key != expected:
            raise PlanError(
                f"plan {plan.plan_id}: change {index + 1} ({change.action.value} "
                f"{money.format_usd(change.amount)} {change.team_id}) does not match its op key "
                f"{change.op_key}: the plan file was modified; run `reconciler plan` again"
            )


def check_stale(plan: Plan, ledger: Ledger, head: str, now: datetime) -> None:
    """Refuse a saved plan that may not be applied as it is: edited changes (PlanError, see
    ``check_op_keys``), or StalePlanError naming what changed; re-reads only the wallets the
    plan touches."""
    check_op_keys(plan)
    if now >= plan.period.end:
        raise StalePlanError(
            f"plan {plan.plan_id} is for period {plan.period.id}, which ended "
            f"{plan.period.end.date().isoformat()}: run `reconciler plan` again"
        )
    if head != plan.commit:
        raise StalePlanError(
            f"plan {plan.plan_id} was made at commit {plan.commit[:7]} but HEAD is now "
            f"{head[:7]}: run `reconciler plan` again"
        )
    if not plan.fingerprints:
        return
    ops = frozenset(c.op_key for c in plan.changes)
    observed = ledger.observe([f.team_id for f in plan.fingerprints], plan.period)
    for expected in plan.fingerprints:
        obs = observed[expected.team_id]
        digest, count = flows_digest(obs.flows, exclude_ops=ops)
        if digest != expected.flows_digest:
            raise StalePlanError(
                f"plan {plan.plan_id} is stale: "
                + describe_flow_change(expected, count, obs, ops)
                + "; run `reconciler plan` again"
            )


def describe_flow_change(
    expected: TeamFingerprint,
    count: int,
    obs: TeamObservation,
    ops: frozenset[str],
) -> str:
    """One line naming the team and what changed in its allocation flows since the plan."""
    text = (
        f"{expected.team_id}'s allocation flows changed since the plan ({expected.flow_count} "
        f"flow(s) then, {count} now"
    )
    others = [
        f for f in obs.flows if (n := notes.parse_note(f.note)) is None or n.op_key not in ops
    ]
    if others and count >= expected.flow_count:
        newest = others[-1]
        text += (
            f"; newest: {newest.type.value} {money.format_usd(newest.amount, sign=True)} at "
            f"{newest.created_at.isoformat(timespec='seconds')}"
        )
        if newest.actor:
            text += f" by {newest.actor}"
        if newest.note:
            text += f" note {newest.note[:60]!r}"
    return text + ")"
