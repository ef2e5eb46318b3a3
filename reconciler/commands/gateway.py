"""``reconciler gateway render|diff``: the consumer-group mapping as the gateway reads it, and
its drift against a running gateway."""

from __future__ import annotations

import os
from pathlib import Path

import click

from reconciler import workflow
from reconciler.commands.console import warn
from reconciler.commands.options import budgets_dir_argument
from reconciler.errors import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, ConfigError, exit_codes_help
from reconciler.model import DesiredState, GatewayConfig


def _gateway_of(budgets_dir: Path) -> GatewayConfig:
    desired, warnings = workflow.load_budgets(budgets_dir)
    warn(warnings)
    return _require_gateway(desired, budgets_dir)


def _require_gateway(desired: DesiredState, budgets_dir: Path) -> GatewayConfig:
    if desired.gateway is None:
        raise ConfigError(
            f"{budgets_dir} has no GatewayConfig document: add one with kind: GatewayConfig "
            "(consumer_groups and cost_tracking)"
        )
    return desired.gateway


@click.group()
def gateway() -> None:
    """The consumer-group -> team-wallet mapping, for the Keeptrusts gateway.

    \b
    Example:
      reconciler gateway render budgets/ > gateway-fragment.yaml
      reconciler gateway diff budgets/ --gateway-url https://gateway.example.com
    """


@gateway.command(epilog=exit_codes_help((0, 1, 64, 70)))
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
    from reconciler import gateway as mapping
    from reconciler.render.gateway import fragment_json, fragment_yaml

    fragment = mapping.fragment(_gateway_of(budgets_dir))
    click.echo(fragment_yaml(fragment) if fmt == "yaml" else fragment_json(fragment), nl=False)


@gateway.command(
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
    from reconciler import gateway as mapping
    from reconciler.ledger import ENV_TOKEN
    from reconciler.render.gateway import diff_json, diff_text

    desired = mapping.mapping_of(_gateway_of(budgets_dir))
    url = mapping.config_url(gateway_url, insecure=insecure)
    running = mapping.fetch_running(url, token=os.environ.get(ENV_TOKEN) or None, insecure=insecure)
    differences = mapping.compare(desired, running)
    where = mapping.shown_url(url)
    if fmt == "json":
        click.echo(diff_json(where, differences), nl=False)
    else:
        groups = len(desired.consumer_groups)
        click.echo(diff_text(where, differences, groups, desired.wallet_enforcement), nl=False)
    return EXIT_CHANGES if detailed_exitcode and differences else EXIT_OK
