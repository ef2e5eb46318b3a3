"""``reconciler validate``: check the budgets directory offline (DESIGN §3)."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.commands.options import budgets_dir_argument
from reconciler.config import validate_dir
from reconciler.config.diagnostics import Diagnostic, plural
from reconciler.errors import EXIT_ERROR, EXIT_OK
from reconciler.render.validation import github_line, json_document, summary_line

EPILOG = """\b
Output:
  text    valid: the summary on stdout, warnings on stderr.
          invalid: every problem on stderr, one per line
          (FILE:LINE:COL: key.path: message), then "N errors".
  json    {"format_version": 1, "valid", "summary", "diagnostics": [...]}
          on stdout, amounts as strings.
  github  workflow annotations (::error file=...,line=...,col=...::...)
          on stdout, then a ::notice with the summary when valid.

\b
Example:
  reconciler validate
  reconciler validate budgets/ --format github

\b
Exit codes:
  0   valid (warnings allowed)
  1   invalid: at least one error
  64  usage error
"""


def _text_line(diagnostic: Diagnostic) -> str:
    return f"warning: {diagnostic}" if diagnostic.severity == "warning" else str(diagnostic)


@click.command(epilog=EPILOG)
@budgets_dir_argument
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="How to print the result.",
)
def validate(budgets_dir: Path, output_format: str) -> int:
    """Check the budgets directory offline and report every problem at once.

    Reads every *.yaml/*.yml file under DIR (default: budgets), recursively, and checks
    YAML syntax, the schema of each document, duplicates, references between documents
    and amounts. Nothing here touches a ledger.
    """
    report = validate_dir(budgets_dir)
    if output_format == "json":
        click.echo(json_document(report))
    elif output_format == "github":
        for diagnostic in report.diagnostics:
            click.echo(github_line(diagnostic))
        if report.state is not None:
            click.echo(f"::notice::{summary_line(report.state)}")
    elif report.state is not None:
        for diagnostic in report.diagnostics:
            click.echo(_text_line(diagnostic), err=True)
        click.echo(summary_line(report.state))
    else:
        for diagnostic in report.diagnostics:
            click.echo(_text_line(diagnostic), err=True)
        tally = plural(report.error_count, "error")
        if report.warning_count:
            tally += f", {plural(report.warning_count, 'warning')}"
        click.echo(tally, err=True)
    return EXIT_OK if report.ok else EXIT_ERROR
