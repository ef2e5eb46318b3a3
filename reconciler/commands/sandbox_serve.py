"""Placeholder until the sandbox server lands; replaced by the sandbox-ledger work."""

from __future__ import annotations

import click


@click.command(hidden=True)
def serve() -> None:
    """Not built yet."""
    raise click.UsageError("'sandbox serve' is not built yet")
