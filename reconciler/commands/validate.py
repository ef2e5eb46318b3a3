"""Placeholder until the command lands; replaced by its issue's work."""

from __future__ import annotations

import click


@click.command(hidden=True)
def validate() -> None:
    """Not built yet."""
    raise click.UsageError("'validate' is not built yet")
