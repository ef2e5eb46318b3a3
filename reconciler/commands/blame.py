"""``reconciler blame TEAM``: a team's envelope history from git, with what each change moved."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import workflow
from reconciler.clock import clock_from_env
from reconciler.commands.options import budgets_dir_argument, ledger_options
from reconciler.errors import EXIT_OK, exit_codes_help
from reconciler.render.audit import render_blame_json, render_blame_text

EPILOG = exit_codes_help((0, 1, 64, 70), {EXIT_OK: "success"})


@click.command(epilog=EPILOG)
@click.argument("team_id", metavar="TEAM")
@budgets_dir_argument
@ledger_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="Output format on stdout.",
)
@click.option(
    "--branch",
    default="main",
    show_default=True,
    metavar="REV",
    help="The branch whose history the budgets live on.",
)
def blame(
    team_id: str,
    budgets_dir: Path,
    ledger_url: str | None,
    insecure: bool,
    fmt: str,
    branch: str,
) -> int:
    """Show TEAM's envelope changes (commit, date, author, PR, old -> new), the movements each
    produced, and the out-of-band flows between them.

    \b
    Example:
      reconciler blame team_eng budgets/
    """
    clock = clock_from_env()
    entries = workflow.blame(team_id, budgets_dir, ledger_url, insecure, branch, clock=clock)
    render = render_blame_json if fmt == "json" else render_blame_text
    click.echo(render(team_id, entries), nl=False)
    return EXIT_OK
