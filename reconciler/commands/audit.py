"""``reconciler audit``: every allocate and reclaim on a team wallet, traced to git."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click

from reconciler import audit as auditing
from reconciler import git, history, mismatch, notes, text, workflow
from reconciler.clock import clock_from_env
from reconciler.commands.options import budgets_dir_argument, ledger_options
from reconciler.errors import EXIT_CHANGES, EXIT_OK, UsageError, exit_codes_help
from reconciler.render.audit import FORMATS, render

EPILOG = exit_codes_help(
    (0, 1, 2, 64, 70),
    {
        EXIT_OK: "success (with --strict: no finding but override)",
        EXIT_CHANGES: "--strict and at least one finding other than override",
    },
)


def parse_date(value: str | None, option: str) -> datetime | None:
    """A UTC instant from YYYY-MM-DD or an ISO 8601 time; UsageError naming the fix."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{option} {value!r} is not a date: write YYYY-MM-DD or 2026-03-01T09:00:00Z"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def window(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    start, end = parse_date(since, "--since"), parse_date(until, "--until")
    if start is not None and end is not None and start > end:
        raise UsageError(f"--since {since} is later than --until {until}: swap them")
    return start, end


@dataclass(frozen=True, slots=True)
class AuditRun:
    movements: list[auditing.Movement]
    findings: list[auditing.Finding]
    teams: set[str]  # every team id the budgets, the ledger or the history knows
    log: history.CommitLog
    changes: dict[str, list[history.EnvelopeChange]]


def run_audit(budgets_dir: Path, ledger_url: str | None, insecure: bool, branch: str) -> AuditRun:
    """Every movement and finding over the whole ledger, with the history they were read from."""
    clock = clock_from_env()
    budgets = workflow.locate(budgets_dir)
    target = workflow.ledger_target(ledger_url, budgets.desired, budgets.repo)
    with workflow.opened(target, insecure=insecure, clock=clock) as ledger:
        workflow.organization_wallet(ledger, budgets.desired.organization.id)
        wallets = auditing.wallet_entries(ledger)
    entries = auditing.team_entries(wallets)
    commits = [n.commit for _t, e in entries if (n := notes.parse_note(e.note)) is not None]
    log = history.commit_log(budgets.directory, branch, extra=commits)
    teams = {t.id for t in budgets.desired.teams} | {team_id for team_id, _e in entries}
    managed = git.managed_since(budgets.directory, teams)
    moves, findings = auditing.classify(entries, log, managed)
    changes = history.envelope_history(budgets.directory, branch)
    findings += auditing.unapplied(changes, moves, log)
    findings += mismatch.mismatches(budgets.directory, moves, wallets, managed, branch)
    return AuditRun(moves, findings, teams | set(changes), log, changes)


def check_team(team_id: str | None, run: AuditRun) -> None:
    if team_id is not None and team_id not in run.teams:
        known = ", ".join(sorted(run.teams)[:5]) or "none"
        raise UsageError(
            f"unknown team {text.printable(team_id)!r}: name a team of the budgets or the "
            f"ledger (known: {known})"
        )


@click.command(epilog=EPILOG)
@budgets_dir_argument
@ledger_options
@click.option("--since", metavar="DATE", help="Only movements at or after DATE (UTC).")
@click.option("--until", metavar="DATE", help="Only movements before DATE (UTC).")
@click.option("--team", "team_id", metavar="ID", help="Only this team's movements.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format on stdout (markdown is a report to attach).",
)
@click.option("--strict", is_flag=True, help="Exit 2 on any finding except override.")
@click.option(
    "--branch",
    default="main",
    show_default=True,
    metavar="REV",
    help="The branch whose history the budgets live on.",
)
def audit(
    budgets_dir: Path,
    ledger_url: str | None,
    insecure: bool,
    since: str | None,
    until: str | None,
    team_id: str | None,
    fmt: str,
    strict: bool,
    branch: str,
) -> int:
    """Trace every allocate and reclaim on a team wallet to its commit and pull request.

    Movements without a reconciler note after a team came under management are out-of-band;
    notes naming commits the branch does not hold, malformed notes, dirty or overridden
    applies and envelope changes never applied are findings.

    \b
    Example:
      reconciler audit budgets/ --since 2026-03-01 --format markdown > audit.md
      reconciler audit --team team_eng --strict
    """
    start, end = window(since, until)
    run = run_audit(budgets_dir, ledger_url, insecure, branch)
    check_team(team_id, run)
    moves, findings = run.movements, run.findings
    kept = [
        m
        for m in moves
        if (team_id is None or m.team_id == team_id)
        and (start is None or m.created_at >= start)
        and (end is None or m.created_at < end)
    ]
    ids = {m.transaction_id for m in kept}
    found = [
        f
        for f in findings
        if (team_id is None or f.team_id == team_id)
        and (
            f.transaction_id in ids or (f.transaction_id is None and start is None and end is None)
        )
    ]
    click.echo(render(kept, found, fmt), nl=False)
    return EXIT_CHANGES if strict and auditing.strict_failures(found) else EXIT_OK
