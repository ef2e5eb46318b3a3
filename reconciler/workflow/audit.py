"""``audit``, ``blame`` and ``drift``: the ledger's movements read against the git history.

``run_audit`` reads every movement and finding over the whole ledger with the history they were
read from (the commit facts of the branch and every team's envelope along it); ``audit_report``
keeps those of one team or time window, and ``blame`` is one team's envelope changes with what
each moved. ``drift`` is this period's out-of-band flows, classified by the planner itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reconciler import audit, git, history, mismatch, notes, text
from reconciler.clock import Clock
from reconciler.errors import UsageError
from reconciler.planning.types import Plan
from reconciler.workflow.budgets import locate
from reconciler.workflow.ledgers import ledger_target, opened, organization_wallet
from reconciler.workflow.plans import make_plan


@dataclass(frozen=True, slots=True)
class AuditRun:
    movements: list[audit.Movement]
    findings: list[audit.Finding]
    teams: set[str]  # every team id the budgets, the ledger or the history knows
    log: history.CommitLog
    changes: dict[str, list[history.EnvelopeChange]]


def run_audit(
    budgets_dir: Path, ledger_url: str | None, insecure: bool, branch: str, *, clock: Clock
) -> AuditRun:
    """Every movement and finding over the whole ledger, with the history they were read from."""
    budgets = locate(budgets_dir)
    target = ledger_target(ledger_url, budgets.desired, budgets.repo)
    with opened(target, insecure=insecure, clock=clock) as ledger:
        organization_wallet(ledger, budgets.desired.organization.id)
        wallets = audit.wallet_entries(ledger)
    entries = audit.team_entries(wallets)
    commits = [n.commit for _t, e in entries if (n := notes.parse_note(e.note)) is not None]
    log = history.commit_log(budgets.directory, branch, extra=commits)
    teams = {t.id for t in budgets.desired.teams} | {team_id for team_id, _e in entries}
    managed = git.managed_since(budgets.directory, teams)
    moves, findings = audit.classify(entries, log, managed)
    changes = history.envelope_history(budgets.directory, branch)
    findings += audit.unapplied(changes, moves, log)
    findings += mismatch.mismatches(budgets.directory, moves, wallets, managed, branch)
    return AuditRun(moves, findings, teams | set(changes), log, changes)


def check_team(team_id: str | None, run: AuditRun) -> None:
    if team_id is not None and team_id not in run.teams:
        known = ", ".join(sorted(run.teams)[:5]) or "none"
        raise UsageError(
            f"unknown team {text.printable(team_id)!r}: name a team of the budgets or the "
            f"ledger (known: {known})"
        )


def audit_report(
    run: AuditRun, team_id: str | None, start: datetime | None, end: datetime | None
) -> tuple[list[audit.Movement], list[audit.Finding]]:
    """The movements of ``team_id`` (all teams when None) with start <= created_at < end, and
    their findings; findings about no movement are kept only when no window is asked for."""
    check_team(team_id, run)
    kept = [
        m
        for m in run.movements
        if (team_id is None or m.team_id == team_id)
        and (start is None or m.created_at >= start)
        and (end is None or m.created_at < end)
    ]
    ids = {m.transaction_id for m in kept}
    found = [
        f
        for f in run.findings
        if (team_id is None or f.team_id == team_id)
        and (
            f.transaction_id in ids or (f.transaction_id is None and start is None and end is None)
        )
    ]
    return kept, found


def blame(
    team_id: str,
    budgets_dir: Path,
    ledger_url: str | None,
    insecure: bool,
    branch: str,
    *,
    clock: Clock,
) -> list[audit.BlameEntry]:
    """``team_id``'s envelope changes along ``branch``, each with the movements it produced."""
    run = run_audit(budgets_dir, ledger_url, insecure, branch, clock=clock)
    check_team(team_id, run)
    return audit.blame(team_id, run.changes.get(team_id, []), run.movements, run.log)


def drift(budgets_dir: Path, ledger_url: str | None, insecure: bool, *, clock: Clock) -> Plan:
    """The plan without routing, for its drift: this period's out-of-band flows, classified."""
    budgets = locate(budgets_dir, require_commit=False)
    target = ledger_target(ledger_url, budgets.desired, budgets.repo)
    with opened(target, insecure=insecure, clock=clock) as ledger:
        plan, _notes = make_plan(budgets, ledger, now=clock(), with_routing=False)
    return plan
