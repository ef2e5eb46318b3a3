"""Placeholder until the command lands; replaced by its issue's work."""

from __future__ import annotations

import click


@click.command(hidden=True)
def sandbox() -> None:
    """Not built yet."""
    raise click.UsageError("'sandbox' is not built yet")
