"""Around the executor: the git rules before an apply (``check_tree``,
``check_same_organization``, ``check_result_path``), the verdict after (``verdict``: exit 3
when some movements were made and some failed), the plan made again, which must be empty
(``check_empty``), and the result document (``write_result``)."""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.clock import Clock
from reconciler.errors import (
    DirtyTreeError,
    Interrupted,
    PartialApplyError,
    PlanError,
    ReconcilerError,
    UsageError,
)
from reconciler.executor import ApplyResult, StepStatus
from reconciler.ledger.base import Ledger
from reconciler.model import DesiredState, Mode
from reconciler.planning import staleness
from reconciler.planning.types import Change, Plan, describe
from reconciler.render.apply import dumps
from reconciler.workflow.budgets import Budgets
from reconciler.workflow.ledgers import organization_wallet
from reconciler.workflow.plans import make_plan

_LISTED = 5


def check_tree(budgets: Budgets, *, allow_dirty: bool, plan: Plan | None = None) -> None:
    if budgets.dirty and not allow_dirty:
        shown = ", ".join(budgets.dirty[:_LISTED])
        more = len(budgets.dirty) - _LISTED
        if more > 0:
            shown += f" and {more} more"
        raise DirtyTreeError(
            f"{budgets.directory} has uncommitted changes ({shown}): commit them, or pass "
            "--allow-dirty to apply anyway (the ledger notes will say dirty)"
        )
    if plan is not None and plan.dirty and not allow_dirty:
        raise DirtyTreeError(
            f"plan {plan.plan_id} was made from uncommitted budgets: make it again from a clean "
            "tree, or pass --allow-dirty to apply it anyway (the ledger notes will say dirty)"
        )


def check_same_organization(plan: Plan, budgets: Budgets) -> None:
    org_id = budgets.desired.organization.id
    if org_id != plan.org_id:
        raise UsageError(
            f"plan {plan.plan_id} is for {plan.org_id} but {budgets.directory} is {org_id}'s "
            "budgets: pass the budgets directory the plan was made from with --budgets DIR"
        )


def verify_saved(saved: Plan, fresh: Plan, ledger: Ledger, desired: DesiredState) -> Plan:
    """The saved plan to execute (``staleness.verify``) against the ledger's flows now: the
    teams it needs are observed here, so the check itself reads nothing."""
    observed = ledger.observe(staleness.observed_teams(saved, fresh), saved.period)
    return staleness.verify(saved, fresh, observed, desired)


def checked_saved_plan(
    saved: Plan, budgets: Budgets, ledger: Ledger, *, clock: Clock, override_reason: str | None
) -> Plan:
    """The saved plan to execute against ``ledger`` (DESIGN §8): its organization and period
    still current, the same override reason given again, and a fresh plan of the budgets at
    HEAD asking for the same movements; else refused as stale or edited."""
    organization_wallet(ledger, saved.org_id)
    staleness.check_current(saved, budgets.commit, clock())
    _check_same_reason(saved, override_reason)
    fresh, _notes = make_plan(
        budgets,
        ledger,
        now=clock(),
        override_reason=override_reason,
        ledger_url=saved.ledger,
        with_routing=False,
        with_forecast=False,
    )
    return verify_saved(saved, fresh, ledger, budgets.desired)


def _check_same_reason(saved: Plan, given: str | None) -> None:
    """The override reason is what a person reviewed and cannot be derived: apply PLANFILE
    takes it again from the command line, and the two must agree (DESIGN §8)."""
    if saved.override_reason is not None and given is None:
        raise UsageError(
            f"plan {saved.plan_id} passes a guard with the reason {saved.override_reason!r}: "
            "apply it with --override-guards and that reason"
        )
    if saved.override_reason is None and given is not None:
        raise UsageError(
            f"plan {saved.plan_id} was made without --override-guards: apply it without one "
            "(make a new plan with the reason if a guard must be passed)"
        )


def closing_check(
    plan: Plan, result: ApplyResult, budgets: Budgets, ledger: Ledger, *, clock: Clock
) -> tuple[str, ...]:
    """The plan made again after an apply, which must be empty: warnings when it is not."""
    after, _notes = make_plan(
        budgets,
        ledger,
        now=clock(),
        override_reason=plan.override_reason,
        ledger_url=plan.ledger,
        with_routing=False,
        with_forecast=False,
    )
    return check_empty(after, result, budgets.desired)


def verdict(result: ApplyResult) -> None:
    """Raise when the run did not complete: Interrupted (exit 130) after Ctrl-C, PartialApplyError
    (exit 3) if it moved anything or a write's outcome is unknown, else PlanError (exit 1)."""
    if result.complete and not result.interrupted:
        return
    unknown = result.unknown
    failed = result.failed
    first = (unknown or failed)[0].detail if (unknown or failed) else "not attempted"
    moved = len(result.applied)
    pending = sum(1 for s in result.steps if s.status is not StepStatus.APPLIED)
    pending -= sum(1 for s in result.steps if s.status is StepStatus.SKIPPED)
    if result.interrupted:
        flight = (
            f"the outcome of {len(unknown)} movement(s) is unknown: a write may still be in flight"
            if unknown
            else "no write was in flight"
        )
        raise Interrupted(
            f"interrupted: applied {moved} of {len(result.steps)} movements; {flight}; re-run "
            "the same apply to resume (it checks every op key first)"
        )
    if unknown:
        raise PartialApplyError(
            f"applied {moved} of {len(result.steps)} movements, {len(unknown)} with an unknown "
            f"outcome, {pending - len(unknown)} not made: {first}"
        )
    if moved:
        raise PartialApplyError(
            f"applied {moved} of {len(result.steps)} movements, {pending} not made: {first}"
            + ("" if "re-run" in first else "; re-run the same apply to resume")
        )
    raise PlanError(f"nothing was moved ({pending} movement(s) not made): {first}")


def check_empty(after: Plan, result: ApplyResult, desired: DesiredState) -> tuple[str, ...]:
    """The plan made again after a complete run must have no changes, or PlanError.

    One exception: a balance-mode team this run just moved. Its target is its *available*
    balance, which live traffic changes between the movement and this check; what is left is
    reported (returned as notes for stderr) for the next apply, not treated as a failure.
    """
    done = {
        s.change.team_id
        for s in result.steps
        if s.status in {StepStatus.APPLIED, StepStatus.SKIPPED}
    }
    moving: list[Change] = []
    notes: list[str] = []
    for change in after.changes:
        team = desired.team(change.team_id)
        if team is not None and team.mode is Mode.BALANCE and change.team_id in done:
            notes.append(
                f"{change.team_id} (balance mode): spend or holds during the apply changed its "
                f"available balance; the next apply will {describe(change)}"
            )
        else:
            moving.append(change)
    if not moving:
        return tuple(notes)
    listed = "; ".join(describe(c) for c in moving[:_LISTED])
    more = len(moving) - _LISTED
    if more > 0:
        listed += f"; and {more} more"
    raise PlanError(
        f"apply finished but the plan is not empty: {len(moving)} change(s) remain "
        f"({listed}): run `reconciler plan` to see why"
    )


def check_result_path(path: Path) -> None:
    """UsageError unless the result document can be written there: checked before anything
    moves, so a bad path never turns a successful apply into a crash."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UsageError(f"--result {path} is a directory: name a file")
    if not parent.is_dir():
        raise UsageError(f"--result {path}: no such directory {parent}: create it first")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"--result {path}: not writable: choose another path")


def write_result(path: Path, result: ApplyResult) -> None:
    try:
        path.write_text(dumps(result), encoding="utf-8")
    except OSError as exc:
        raise ReconcilerError(
            f"the apply finished but its result document could not be written to {path} "
            f"({exc.strerror}); the movements are in the ledger: re-run to see the plan is empty"
        ) from exc
