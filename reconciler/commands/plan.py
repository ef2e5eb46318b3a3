"""``reconciler plan``: compute and show the movements that bring the ledger to the budgets."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler import workflow
from reconciler.clock import clock_from_env
from reconciler.commands.console import warn
from reconciler.commands.options import budgets_dir_argument, ledger_options
from reconciler.errors import EXIT_CHANGES, EXIT_CODES_HELP, EXIT_OK
from reconciler.planning import document
from reconciler.render.plan import FORMATS, render
from reconciler.render.terminal import color_for_stdout


@click.command(epilog=EXIT_CODES_HELP)
@budgets_dir_argument
@ledger_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Also save the plan document (JSON) to FILE, for `show` and `apply FILE`.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output format on stdout (markdown is the pull-request comment).",
)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes to apply.")
@click.option(
    "--base",
    metavar="REV",
    help="Show consumer-group routing changes against REV (default: the last applied commit).",
)
@click.option(
    "--whatif",
    "whatif_periods",
    type=click.IntRange(1, 36),
    metavar="N",
    help="Add a what-if section: the last N periods' spend replayed against these budgets "
    "and the base (docs/whatif.md).",
)
@click.option(
    "--override-guards",
    "override_reason",
    metavar="REASON",
    help="Plan past a guard; REASON is written into every ledger note of the apply.",
)
def plan(
    budgets_dir: Path,
    ledger_url: str | None,
    insecure: bool,
    out: Path | None,
    fmt: str,
    detailed_exitcode: bool,
    base: str | None,
    whatif_periods: int | None,
    override_reason: str | None,
) -> int:
    """Show the allocate and reclaim calls that bring the ledger to the budgets in DIR.

    The budgets are validated first (nothing invalid reaches the ledger), then the ledger is
    read and nothing is moved. Warnings and drift notes go to stderr.

    \b
    Example:
      reconciler plan budgets/
      reconciler plan budgets/ --format markdown --detailed-exitcode > plan.md
      reconciler plan --out plan.json && reconciler apply plan.json
      reconciler plan budgets/ --whatif 3 --base origin/main --format markdown
    """
    clock = clock_from_env()
    budgets = workflow.locate(budgets_dir, require_commit=False)
    warn(budgets.warnings)
    target = workflow.ledger_target(ledger_url, budgets.desired, budgets.repo)
    with workflow.opened(target, insecure=insecure, clock=clock) as ledger:
        now = clock()
        result, notes = workflow.make_plan(
            budgets,
            ledger,
            now=now,
            base=base,
            override_reason=override_reason,
            ledger_url=target.url,
        )
        whatif = None
        if whatif_periods is not None:
            whatif, more = workflow.plan_whatif(
                budgets, ledger, now=now, periods=whatif_periods, base=base
            )
            notes = (*notes, *more)
    warn(notes)
    if fmt != "text" or not sys.stdout.isatty():
        warn(result.warnings)  # the text rendering on a terminal already lists them
    click.echo(render(result, fmt, color=color_for_stdout(), whatif=whatif), nl=False)
    if out is not None:
        workflow.write_plan(out, document.dumps(result))
        click.echo(f"Saved the plan to {out}: apply it with `reconciler apply {out}`", err=True)
    return EXIT_CHANGES if detailed_exitcode and result.has_changes else EXIT_OK
