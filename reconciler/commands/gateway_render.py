"""``reconciler gateway render``: the GatewayConfig as the gateway expects it."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import workflow
from reconciler.commands.console import warn
from reconciler.commands.options import budgets_dir_argument
from reconciler.errors import exit_codes_help


@click.command(epilog=exit_codes_help((0, 1, 64, 70)))
@budgets_dir_argument
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["yaml", "json"]),
    default="yaml",
    show_default=True,
    help="Output format on stdout.",
)
def render(budgets_dir: Path, fmt: str) -> None:
    """Print the GatewayConfig of DIR as the gateway expects it: consumer_groups and
    cost_tracking, without apiVersion/kind.

    \b
    Example:
      reconciler gateway render budgets/
    """
    from reconciler import gateway
    from reconciler.render.gateway import fragment_json, fragment_yaml

    config, warnings = workflow.gateway_config(budgets_dir)
    warn(warnings)
    fragment = gateway.fragment(config)
    click.echo(fragment_yaml(fragment) if fmt == "yaml" else fragment_json(fragment), nl=False)
