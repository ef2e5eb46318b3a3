"""``reconciler gateway``: the consumer-group mapping as the gateway reads it (``render``) and its
drift against a running gateway (``diff``); each subcommand is loaded only when it runs."""

from __future__ import annotations

from typing import ClassVar

import click

from reconciler.cli import LazyGroup


class GatewayGroup(LazyGroup):
    lazy: ClassVar[dict[str, str]] = {
        "render": "reconciler.commands.gateway_render:render",
        "diff": "reconciler.commands.gateway_diff:diff",
    }


@click.group(cls=GatewayGroup)
def gateway() -> None:
    """The consumer-group -> team-wallet mapping, for the Keeptrusts gateway.

    \b
    Example:
      reconciler gateway render budgets/ > gateway-fragment.yaml
      reconciler gateway diff budgets/ --gateway-url https://gateway.example.com
    """
