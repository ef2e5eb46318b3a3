"""``reconciler import``: write Team documents for the team wallets the ledger already has."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import workflow
from reconciler.clock import clock_from_env
from reconciler.commands.console import warn
from reconciler.commands.options import budgets_dir_argument, ledger_options
from reconciler.errors import EXIT_ERROR, exit_codes_help


@click.command(
    "import",
    epilog=exit_codes_help(
        (0, 1, 64, 70), {EXIT_ERROR: "invalid budgets, ledger error, or a file to write exists"}
    ),
)
@budgets_dir_argument
@ledger_options
def import_(budgets_dir: Path, ledger_url: str | None, insecure: bool) -> None:
    """Write budgets for an organization that already has team wallets, moving nothing.

    One Team document per team wallet that DIR does not declare yet (DIR/teams/<name>.yaml),
    with the envelope the ledger already holds for the current period, plus an Organization
    document (when DIR has none) and a GatewayConfig skeleton. Commit them: the first plan
    is then empty, because flows made before a Team is committed are adopted. Existing files
    are never overwritten (exit 1, naming the file).

    \b
    Example:
      reconciler import budgets/ --ledger https://api.keeptrusts.com
      git add budgets && git commit -m "Adopt the team wallets"
      reconciler plan budgets/ --detailed-exitcode    # exit 0: nothing to move
    """
    result, warnings = workflow.import_budgets(
        budgets_dir, ledger_url, insecure=insecure, clock=clock_from_env()
    )
    warn(warnings)
    for new in result.files:
        click.echo(f"wrote {new.path}  ({new.summary})")
    click.echo(
        f"Next: review and commit {budgets_dir}; `reconciler plan {budgets_dir}` then moves "
        "nothing.",
        err=True,
    )
