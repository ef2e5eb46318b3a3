"""Saved plans (DESIGN §8): a plan file is an assertion, checked against a fresh plan, never
trusted.

``apply PLANFILE`` applies exactly what a person reviewed, or nothing. It trusts nothing in the
file that it can derive again:

1. ``check_self_consistent`` (offline): the plan id is the hash of the rest of the document, and
   every change's op key is the one its own fields and its team's fingerprint derive, no team
   moved or fingerprinted twice. Both are public hashes and prove nothing alone, but any field
   edited without re-deriving them is caught here; a consistent forgery is caught by step 3.
2. ``check_current``: the period has not ended and HEAD is still the plan's commit (stale).
3. ``verify``: a plan made afresh from the budgets at that commit against the plan's own ledger
   must state the same organization headroom, override reason, dirty flag and period (edited
   when not), see the same allocation flows for every team the plan touches (stale when not:
   flows carrying the plan's own op keys do not count, so a partly applied plan resumes), and ask
   for the same movements: team, action, op key and amount, except that a reclaim may be lower
   when spend reduced what is available. Spend alone never makes a plan stale. The caller
   observes the ledger (``observed_teams`` names the teams) and passes the observations in:
   nothing here reads the ledger.

The first difference is refused with a ``StalePlanError`` or ``EditedPlanError`` naming it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from reconciler import money, notes
from reconciler.errors import EditedPlanError, StalePlanError
from reconciler.ledger.base import TeamObservation, Transaction
from reconciler.model import DesiredState, Mode
from reconciler.planning import document
from reconciler.planning.types import (
    GUARD_OVERRIDDEN,
    Action,
    Change,
    Plan,
    TeamFingerprint,
)

_AGAIN = "run `reconciler plan` again"


def _edited(plan: Plan, what: str) -> EditedPlanError:
    return EditedPlanError(f"plan {plan.plan_id} was edited: {what}; {_AGAIN}")


def _stale(plan: Plan, what: str) -> StalePlanError:
    return StalePlanError(f"plan {plan.plan_id} is stale: {what}; {_AGAIN}")


def describe(change: Change) -> str:
    return f"{change.action.value} {money.format_usd(change.amount)} {change.team_id}"


def check_self_consistent(plan: Plan) -> None:
    """EditedPlanError unless the plan id is its content's and every change's op key derives
    from its own fields (DESIGN §5, §8)."""
    prints: dict[str, TeamFingerprint] = {}
    for fingerprint in plan.fingerprints:
        if fingerprint.team_id in prints:
            raise _edited(plan, f"{fingerprint.team_id} has two fingerprints")
        prints[fingerprint.team_id] = fingerprint
    seen: set[str] = set()
    for index, change in enumerate(plan.changes, start=1):
        if change.team_id in seen:
            raise _edited(plan, f"change {index} ({describe(change)}) moves a team twice")
        seen.add(change.team_id)
        prior = prints.get(change.team_id)
        if prior is None:
            raise _edited(plan, f"change {index} ({describe(change)}) has no team fingerprint")
        expected = notes.op_key(
            plan.org_id,
            plan.period.id,
            change.team_id,
            change.action.value,
            change.amount,
            plan.commit,
            prior.flows_digest,
        )
        if change.op_key != expected:
            raise _edited(plan, f"change {index} ({describe(change)}) does not match its op key")
    if document.content_id(plan) != plan.plan_id:
        raise _edited(plan, "its content no longer matches its plan id")


def check_current(plan: Plan, head: str, now: datetime) -> None:
    """StalePlanError when the plan's period has ended or HEAD is no longer its commit."""
    if now >= plan.period.end:
        raise StalePlanError(
            f"plan {plan.plan_id} is for period {plan.period.id}, which ended "
            f"{plan.period.end.date().isoformat()}: {_AGAIN}"
        )
    if head != plan.commit:
        raise StalePlanError(
            f"plan {plan.plan_id} was made at commit {plan.commit[:7]} but HEAD is now "
            f"{head[:7]}: {_AGAIN}"
        )


def observed_teams(saved: Plan, fresh: Plan) -> list[str]:
    """The teams ``verify`` needs observed in ``saved``'s period: every team the saved plan
    fingerprinted and every team the fresh plan moves."""
    return sorted({f.team_id for f in saved.fingerprints} | {c.team_id for c in fresh.changes})


def verify(
    saved: Plan,
    fresh: Plan,
    observed: Mapping[str, TeamObservation],
    desired: DesiredState,
) -> Plan:
    """The plan to execute: ``saved`` when ``fresh`` asks for the same; else refuse.

    ``observed`` is the ledger's observation of ``observed_teams(saved, fresh)`` in
    ``saved.period``."""
    _same_terms(saved, fresh)
    ops = frozenset(c.op_key for c in saved.changes)
    for expected in saved.fingerprints:
        obs = observed[expected.team_id]
        digest, count = flows_digest(obs.flows, exclude_ops=ops)
        if digest != expected.flows_digest:
            raise _stale(saved, describe_flow_change(expected, count, obs, ops))
    done = _ops_in_ledger(observed.values(), ops)
    wanted = {c.team_id: c for c in fresh.changes}
    executed: list[Change] = []
    for change in saved.changes:
        now = wanted.pop(change.team_id, None)
        if change.op_key in done:
            executed.append(change)
            continue
        if now is None and change.action is Action.RECLAIM:
            executed.append(change)  # spend took what it would reclaim: re-clamped to 0
            continue
        if now is None or not _same_movement(change, now):
            raise _mismatch(saved, change, now, observed[change.team_id], desired, ops)
        executed.append(_with_fresh_facts(change, now))
    for extra in wanted.values():
        raise _mismatch(saved, None, extra, observed[extra.team_id], desired, ops)
    return replace(saved, changes=tuple(executed))


def _same_terms(saved: Plan, fresh: Plan) -> None:
    usd = money.format_usd
    if saved.period != fresh.period:
        raise _edited(saved, f"its period {saved.period.id} is not the period of its dates")
    if saved.dirty != fresh.dirty:
        said = "uncommitted" if saved.dirty else "committed"
        now = "uncommitted changes" if fresh.dirty else "no uncommitted changes"
        raise _edited(saved, f"it says its budgets were {said}, but they have {now}")
    if saved.org.headroom != fresh.org.headroom:
        raise _edited(
            saved,
            f"org.headroom is {usd(saved.org.headroom)} in the plan but "
            f"{usd(fresh.org.headroom)} in the budgets at {saved.commit[:7]}",
        )
    overridden = any(w.startswith(GUARD_OVERRIDDEN) for w in fresh.warnings)
    if saved.override_reason is not None and not overridden:
        raise _edited(
            saved,
            f"it passes a guard with the reason {saved.override_reason!r}, but no guard is "
            "exceeded",
        )
    if saved.override_reason != fresh.override_reason:
        raise _edited(
            saved,
            f"its override reason {saved.override_reason!r} is not the one given to apply "
            f"({fresh.override_reason!r}): pass the plan's reason with --override-guards",
        )


def _same_movement(saved: Change, fresh: Change) -> bool:
    if saved.action is not fresh.action:
        return False
    if saved.op_key == fresh.op_key:
        return saved.amount == fresh.amount
    # a reclaim may be lower when spend reduced what is available
    return saved.action is Action.RECLAIM and fresh.amount < saved.amount


def _with_fresh_facts(saved: Change, fresh: Change) -> Change:
    """The saved change with what only the ledger gives now (drift kept in place)."""
    return replace(saved, drift_kept=fresh.drift_kept)


def _ops_in_ledger(observations: Collection[TeamObservation], ops: frozenset[str]) -> set[str]:
    found: set[str] = set()
    for obs in observations:
        for flow in obs.flows:
            op = notes.op_of(flow.note)
            if op is not None and op in ops:
                found.add(op)
    return found


def _mismatch(
    saved: Plan,
    change: Change | None,
    fresh: Change | None,
    obs: TeamObservation,
    desired: DesiredState,
    ops: frozenset[str],
) -> EditedPlanError | StalePlanError:
    """Name the difference; stale when the ledger moved under the team since the plan (newer
    allocation flows, or a balance-mode team whose available balance spend changes), else
    edited: at the same commit and flows a period-mode plan is exactly reproducible."""
    either = change or fresh
    team_id = either.team_id if either is not None else ""
    said = describe(change) if change else "no movement"
    now = describe(fresh) if fresh else "no movement"
    what = f"it says {said} for {team_id}, a fresh plan says {now}"
    team = desired.team(team_id)
    newer = [
        f for f in obs.flows if f.created_at > saved.created_at and notes.op_of(f.note) not in ops
    ]
    if newer or (team is not None and team.mode is Mode.BALANCE):
        return _stale(saved, what + " (its balance changed since the plan)")
    return _edited(saved, what)


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
    others = [f for f in obs.flows if notes.op_of(f.note) not in ops]
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


def flows_digest(
    flows: Iterable[Transaction], *, exclude_ops: Collection[str] = ()
) -> tuple[str, int]:
    """sha256 over the allocation flows (id, type, amount) in order, and how many there were.

    Flows whose reconciler note carries one of ``exclude_ops`` are left out: that is how the
    executor checks a saved plan that it has already partly applied.
    """
    digest = hashlib.sha256()
    count = 0
    for flow in flows:
        if notes.op_of(flow.note) in exclude_ops:
            continue
        digest.update(f"{flow.id}\x1f{flow.type.value}\x1f{flow.amount}\n".encode())
        count += 1
    return digest.hexdigest(), count
