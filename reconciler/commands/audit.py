"""``reconciler audit``: every allocate and reclaim on a team wallet, traced to git."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from reconciler import workflow
from reconciler.audit import strict_failures
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
    run = workflow.run_audit(budgets_dir, ledger_url, insecure, branch, clock=clock_from_env())
    kept, found = workflow.audit_report(run, team_id, start, end)
    click.echo(render(kept, found, fmt), nl=False)
    return EXIT_CHANGES if strict and strict_failures(found) else EXIT_OK
