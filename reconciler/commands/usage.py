"""``reconciler usage``: spend by team against envelopes, burn rate and forecast."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import workflow
from reconciler.clock import clock_from_env
from reconciler.commands.console import warn
from reconciler.commands.options import budgets_dir_argument, ledger_options
from reconciler.render.usage import FORMATS, render_usage
from reconciler.usage import BY, compute, period_for


@click.command()
@budgets_dir_argument
@ledger_options
@click.option("--period", "period_id", metavar="ID", help="A past period (default: the current).")
@click.option(
    "--by", type=click.Choice(BY), default="team", show_default=True, help="Group spend by."
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Also write a self-contained HTML report with charts (needs the 'report' extra).",
)
def usage(
    budgets_dir: Path,
    ledger_url: str | None,
    insecure: bool,
    period_id: str | None,
    by: str,
    fmt: str,
    html_file: Path | None,
) -> None:
    """Spend per team against its envelope, from the ledger's settlements.

    Every settled micro-dollar is attributed once: to the team the request was for (whichever
    wallet paid), else the team its consumer group maps to, else the paying team wallet;
    the rest is the organization's unattributed spend. Burn rate and the projected date the
    envelope runs out come from the forecast (see docs/usage.md).

    \b
    Example:
      reconciler usage budgets/
      reconciler usage budgets/ --period 2026-10 --format json
      reconciler usage budgets/ --format markdown > usage.md
    """
    clock = clock_from_env()
    now = clock()
    desired, warnings = workflow.load_budgets(budgets_dir)
    warn(warnings)
    period = period_for(desired.organization.period.value, period_id, now)
    target = workflow.ledger_target(ledger_url, desired, workflow.budgets_root(budgets_dir))
    with workflow.opened(target, insecure=insecure, clock=clock) as ledger:
        workflow.organization_wallet(ledger, desired.organization.id)
        result = compute(desired, ledger, period, now, by=by)
    click.echo(render_usage(result, fmt), nl=False)
    if html_file is not None:
        from reconciler.render.usage_html import write_html

        write_html(result, html_file)
        click.echo(f"Wrote the usage report to {html_file}", err=True)
