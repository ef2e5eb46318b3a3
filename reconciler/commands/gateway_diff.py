"""``reconciler gateway diff``: the mapping in the budgets against a running gateway's."""

from __future__ import annotations

import os
from pathlib import Path

import click

from reconciler import workflow
from reconciler.commands.console import warn
from reconciler.commands.options import budgets_dir_argument
from reconciler.errors import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, exit_codes_help


@click.command(
    epilog=exit_codes_help(
        (0, 1, 2, 64, 70),
        {
            EXIT_OK: "the mapping matches (or differs, without --detailed-exitcode)",
            EXIT_ERROR: "invalid budgets; gateway unreachable, refusing or answering garbage",
            EXIT_CHANGES: "the gateway's mapping differs from the budgets (--detailed-exitcode)",
        },
    )
)
@budgets_dir_argument
@click.option(
    "--gateway-url",
    required=True,
    metavar="URL",
    help="Base URL of the running gateway; its GET /keeptrusts/config is read.",
)
@click.option(
    "--insecure", is_flag=True, help="Allow plain http:// to a host that is not loopback."
)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when the mapping has drifted.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format on stdout.",
)
def diff(
    budgets_dir: Path, gateway_url: str, insecure: bool, detailed_exitcode: bool, fmt: str
) -> int:
    """Compare the mapping in DIR with a running gateway's, key by key.

    The gateway's configuration is read with the bearer token in KEEPTRUSTS_API_TOKEN (never
    printed). Only consumer_groups[].wallet_team_id and cost_tracking.wallet_enforcement are
    compared; every other key of the gateway's config is left alone.

    \b
    Example:
      reconciler gateway diff budgets/ --gateway-url https://gateway.example.com
      reconciler gateway diff --gateway-url http://127.0.0.1:8080 --detailed-exitcode
    """
    from reconciler import gateway
    from reconciler.ledger import ENV_TOKEN
    from reconciler.render.gateway import diff_json, diff_text

    config, warnings = workflow.gateway_config(budgets_dir)
    warn(warnings)
    desired = gateway.mapping_of(config)
    url = gateway.config_url(gateway_url, insecure=insecure)
    running = gateway.fetch_running(url, token=os.environ.get(ENV_TOKEN) or None, insecure=insecure)
    differences = gateway.compare(desired, running)
    where = gateway.shown_url(url)
    if fmt == "json":
        click.echo(diff_json(where, differences), nl=False)
    else:
        groups = len(desired.consumer_groups)
        click.echo(diff_text(where, differences, groups, desired.wallet_enforcement), nl=False)
    return EXIT_CHANGES if detailed_exitcode and differences else EXIT_OK
