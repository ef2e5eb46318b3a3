"""``reconciler show``: render a saved plan file, offline."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import workflow
from reconciler.errors import EXIT_ERROR, EXIT_OK, exit_codes_help
from reconciler.render.plan import FORMATS, render
from reconciler.render.terminal import color_for_stdout

EPILOG = exit_codes_help(
    (0, 1, 64, 70), {EXIT_OK: "success", EXIT_ERROR: "error: no such file, or not a plan document"}
)


@click.command(epilog=EPILOG)
@click.argument("plan_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output format on stdout.",
)
def show(plan_file: Path, fmt: str) -> None:
    """Render a plan saved with `reconciler plan --out FILE`. Reads no ledger and no git.

    \b
    Example:
      reconciler plan budgets/ --out plan.json
      reconciler show plan.json --format markdown
    """
    plan = workflow.read_plan(plan_file)
    click.echo(render(plan, fmt, color=color_for_stdout()), nl=False)
