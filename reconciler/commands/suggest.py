"""``reconciler suggest``: next envelopes from real spend; ``--write`` edits the budgets files."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import click

from reconciler import workflow
from reconciler.clock import clock_from_env
from reconciler.commands.console import warn
from reconciler.commands.options import budgets_dir_argument, ledger_options
from reconciler.config.writer import group_by_file, write_envelopes
from reconciler.errors import UsageError
from reconciler.ledger.base import Ledger
from reconciler.model import DesiredState
from reconciler.money import (
    AmountError,
    decimal_str,
    format_usd,
    is_exponent_notation,
    parse_amount,
)
from reconciler.render.terminal import render_table
from reconciler.render.whatif import summaries, summary, whatif_document
from reconciler.suggest import DEFAULT_BUFFER, DEFAULT_PERIODS, Suggestion, evidence, suggest
from reconciler.whatif import Report


@click.command()
@budgets_dir_argument
@ledger_options
@click.option(
    "--periods",
    default=DEFAULT_PERIODS,
    show_default=True,
    type=click.IntRange(1, 36),
    help="How many complete past periods of spend to look at.",
)
@click.option(
    "--buffer",
    "buffer_pct",
    default=str(DEFAULT_BUFFER),
    show_default=True,
    callback=lambda _ctx, _param, value: _percent(value),
    metavar="PCT",
    help="Headroom added on top of the demand, in percent.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--write", is_flag=True, help="Change the envelope: values in the budgets files in place."
)
@click.option(
    "--whatif",
    is_flag=True,
    help="Replay the same periods (and the current one so far) against the suggested and the "
    "current envelopes, as evidence next to each number (docs/whatif.md).",
)
def suggest_command(
    budgets_dir: Path,
    ledger_url: str | None,
    insecure: bool,
    periods: int,
    buffer_pct: Decimal,
    fmt: str,
    write: bool,
    whatif: bool,
) -> None:
    """Suggest each team's next envelope from its attributed spend.

    demand = max(P90 of the last N periods' spend, the current period's projection);
    suggested = demand + buffer, rounded up to whole cents, within envelope_min/envelope_max.
    It never moves money: --write only edits the envelope: values (comments, order and
    formatting untouched), so the change goes through a reviewed pull request and `plan`.

    \b
    Example:
      reconciler suggest budgets/ --periods 3 --buffer 15
      reconciler suggest budgets/ --write && git diff budgets/
      reconciler suggest budgets/ --whatif
    """
    buffer = buffer_pct
    clock = clock_from_env()
    desired, warnings = workflow.load_budgets(budgets_dir)
    warn(warnings)
    target = workflow.ledger_target(ledger_url, desired, workflow.budgets_root(budgets_dir))
    with workflow.opened(target, insecure=insecure, clock=clock) as ledger:
        workflow.organization_wallet(ledger, desired.organization.id)
        now = clock()
        found = suggest(desired, ledger, now, periods=periods, buffer=buffer)
        report = _evidence(desired, ledger, now, found, periods) if whatif else None
    if fmt == "json":
        document: dict[str, object] = {"suggestions": [_json(s, report) for s in found]}
        if report is not None:
            document["whatif"] = whatif_document(report)
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        click.echo(_text(found), nl=False)
        if report is not None:
            click.echo("\n" + summaries(report), nl=False)
    if write:
        _write(desired, found)


def _percent(text: str) -> Decimal:
    if is_exponent_notation(text):
        raise click.BadParameter(f"{text} is in exponent notation; write a plain number, e.g. 20")
    try:
        value = parse_amount(text, places=2)
    except AmountError as exc:
        raise click.BadParameter(f"{exc}; give a percentage such as 20 or 12.5") from exc
    if not Decimal(0) <= value <= Decimal(1000):
        raise click.BadParameter(f"{text} is not between 0 and 1000 (percent)")
    return value


def _evidence(
    desired: DesiredState, ledger: Ledger, now: datetime, found: list[Suggestion], periods: int
) -> Report | None:
    try:
        report = evidence(desired, ledger, now, found, periods=periods)
    except UsageError as exc:  # period: none
        warn([f"what-if not shown: {exc}"])
        return None
    if report is None:
        warn(["what-if not shown: the ledger has no history in the periods looked at"])
    return report


def _json(item: Suggestion, report: Report | None) -> dict[str, str]:
    document = {
        "team_id": item.team_id,
        "current": decimal_str(item.current),
        "suggested": decimal_str(item.suggested),
        "basis": item.basis,
    }
    if report is not None:
        document["whatif"] = summary(report, item.team_id)
    return document


def _text(found: list[Suggestion]) -> str:
    rows = [
        [
            s.team_id,
            format_usd(s.current),
            format_usd(s.suggested),
            format_usd(s.suggested - s.current, sign=True),
            s.basis,
        ]
        for s in found
    ]
    return render_table(
        ["TEAM", "CURRENT", "SUGGESTED", "CHANGE", "BASIS"],
        rows,
        right=["CURRENT", "SUGGESTED", "CHANGE"],
    )


def _write(desired: DesiredState, found: list[Suggestion]) -> None:
    locations = {t.id: t.location.file for t in desired.teams if t.location is not None}
    changed = {
        s.team_id: s.suggested for s in found if s.suggested != s.current and s.team_id in locations
    }
    written = write_envelopes(group_by_file(locations, changed))
    for path in written:
        click.echo(f"wrote {path}", err=True)
    if not written:
        click.echo("no envelope changed: nothing written", err=True)
