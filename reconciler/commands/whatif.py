"""``reconciler whatif``: replay the last periods' recorded spend against the envelopes."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import workflow
from reconciler.clock import clock_from_env
from reconciler.commands.console import warn
from reconciler.commands.options import budgets_dir_argument, ledger_options
from reconciler.errors import EXIT_CODES_HELP
from reconciler.render.whatif import FORMATS, render_whatif
from reconciler.whatif_history import periods_to_replay

DEFAULT_PERIODS = 3


@click.command(epilog=EXIT_CODES_HELP)
@budgets_dir_argument
@ledger_options
@click.option(
    "--periods",
    "count",
    default=DEFAULT_PERIODS,
    show_default=True,
    type=click.IntRange(0, 36),
    help="How many completed periods to replay.",
)
@click.option("--current", is_flag=True, help="Also replay the current period, up to now.")
@click.option(
    "--base",
    metavar="REV",
    help="Compare with the budgets at REV (default: the last applied commit).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
def whatif(
    budgets_dir: Path,
    ledger_url: str | None,
    insecure: bool,
    count: int,
    current: bool,
    base: str | None,
    fmt: str,
) -> None:
    """Replay the last periods' spend against the envelopes in DIR, next to those at --base.

    Each period starts with every team wallet brought to its envelope by the planner's own
    rule (carry, rollover, balance mode, protect, tombstones); the recorded gateway requests
    then run again through the wallet cascade. Per team and period: when the wallet would have
    run out, the spend that would have fallen through to the organization wallet (or been
    refused), and the credits left unused at the end. Nothing is written (docs/whatif.md).

    \b
    Example:
      reconciler whatif budgets/
      reconciler whatif budgets/ --periods 6 --base main --format markdown
      reconciler whatif budgets/ --periods 0 --current
    """
    clock = clock_from_env()
    desired, warnings = workflow.load_budgets(budgets_dir)
    warn(warnings)
    now = clock()
    periods_to_replay(desired.organization.period, now, count, current=current)  # bad: fail early
    target = workflow.ledger_target(ledger_url, desired, workflow.budgets_root(budgets_dir))
    with workflow.opened(target, insecure=insecure, clock=clock) as ledger:
        workflow.organization_wallet(ledger, desired.organization.id)
        result = workflow.whatif_report(
            budgets_dir, desired, ledger, now, count=count, current=current, base=base
        )
    warn(result.notes)
    click.echo(render_whatif(result, fmt), nl=False)
