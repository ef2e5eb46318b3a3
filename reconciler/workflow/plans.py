"""``plan`` and ``show``: observe the ledger once, gather the git facts (``history.read``), run
the pure planner; the usage forecast's exhaustion warnings; saved plan files read and written."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from reconciler import history, notes, usage
from reconciler.config.gcpause import gc_frozen
from reconciler.errors import (
    PlanError,
    UsageError,
)
from reconciler.ledger.base import Ledger
from reconciler.model import DesiredState
from reconciler.periods import Period, PeriodKind, period_at
from reconciler.planning import planner
from reconciler.planning.types import Exhaustion, Plan
from reconciler.workflow.budgets import NO_COMMIT, Budgets
from reconciler.workflow.ledgers import observe


@gc_frozen
def make_plan(
    budgets: Budgets,
    ledger: Ledger,
    *,
    now: datetime,
    base: str | None = None,
    override_reason: str | None = None,
    ledger_url: str | None = None,
    with_routing: bool = True,
    with_forecast: bool = True,
) -> tuple[Plan, tuple[str, ...]]:
    """Observe and plan; returns the plan and warnings for stderr (besides the plan's own).

    ``with_forecast=False`` leaves out the run-out forecast (it reads every wallet's
    settlements of eight weeks): for the plans an apply makes only to compare with, which
    never show it.

    The objects alive when the plan starts (the loaded budgets and their model) are left out
    of the cyclic collector's scans meanwhile (``config.gcpause.gc_frozen``): each collection
    would scan them all again. The collector still runs, so the cycles an HTTP client leaves
    with every response are freed as the plan goes (with the collector paused, a plan of
    10,000 teams over HTTP grew to 377 MiB; it peaks at 155 MiB)."""
    if override_reason is not None:
        notes.check_override_reason(override_reason)
    desired = budgets.desired
    period = period_at(desired.organization.period, now)
    observed = observe(ledger, desired, period)
    facts, warnings = history.read(
        budgets.directory,
        desired,
        ledger,
        observed,
        commit=budgets.commit,
        dirty=bool(budgets.dirty) or budgets.commit == NO_COMMIT,
        now=now,
        base=base,
        with_routing=with_routing,
        revisions=budgets.revisions,
    )
    result = planner.plan(
        desired,
        observed,
        facts,
        now=now,
        override_reason=override_reason,
        ledger_url=ledger_url,
        exhaustion=exhaustion(desired, ledger, period, now) if with_forecast else (),
    )
    return result, warnings


def exhaustion(
    desired: DesiredState, ledger: Ledger, period: Period, now: datetime
) -> tuple[Exhaustion, ...]:
    """Teams whose envelope the forecast (usage, from settlements) sees running out before the
    period ends; none for ``period: none`` (no end to run out before)."""
    if period.kind is PeriodKind.NONE:
        return ()
    last_day = (period.end - timedelta(days=1)).date()
    found = []
    spend = usage.forecasts(desired, ledger, period, now, running_out=True)
    for team in desired.teams:
        if team.id not in spend:
            continue
        spent, forecast = spend[team.id]
        runs_out = forecast.exhaustion
        if runs_out is None or runs_out > last_day or team.envelope <= 0:
            continue
        projected = forecast.projected_spend or spent
        found.append(
            Exhaustion(team.id, runs_out, (last_day - runs_out).days, projected, team.envelope)
        )
    return tuple(found)


def write_plan(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write the plan to {path}: {exc.strerror}") from exc


def read_plan(path: Path) -> Plan:
    from reconciler.planning import document

    if path.suffix in {".yaml", ".yml"}:
        raise UsageError(
            f"{path} is a budgets file, not a plan: pass the budgets directory "
            f"(reconciler apply {path.parent}) or a plan file made with `reconciler plan --out`"
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the plan file {path}: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlanError(
            f"{path} is not a plan document: it is not UTF-8 text (byte {exc.start}); make the "
            "plan again with `reconciler plan --out`"
        ) from exc
    return document.loads(text, source=str(path))
