"""``reconciler drift``: this period's out-of-band flows on managed teams, and what happens next."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import workflow
from reconciler.clock import clock_from_env
from reconciler.commands.options import budgets_dir_argument, ledger_options
from reconciler.errors import EXIT_CHANGES, EXIT_OK, exit_codes_help
from reconciler.render.audit import render_drift

EPILOG = exit_codes_help(
    (0, 1, 2, 64, 70),
    {
        EXIT_OK: "success (with --detailed-exitcode: no drift)",
        EXIT_CHANGES: "--detailed-exitcode and at least one out-of-band flow",
    },
)


@click.command(epilog=EPILOG)
@budgets_dir_argument
@ledger_options
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there is any drift.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "json", "markdown")),
    default="text",
    show_default=True,
    help="Output format on stdout.",
)
def drift(
    budgets_dir: Path, ledger_url: str | None, insecure: bool, detailed_exitcode: bool, fmt: str
) -> int:
    """List this period's allocation flows on managed teams made outside reconciler: when, how
    much, who, the note, and what the team's drift policy does (warn leaves it in place, correct
    reverses it at the next apply). The classification is the planner's own. Moves nothing.

    \b
    Example:
      reconciler drift budgets/ --detailed-exitcode
    """
    plan = workflow.drift(budgets_dir, ledger_url, insecure, clock=clock_from_env())
    click.echo(render_drift(plan.period.id, plan.drift, fmt), nl=False)
    return EXIT_CHANGES if detailed_exitcode and plan.drift else EXIT_OK
