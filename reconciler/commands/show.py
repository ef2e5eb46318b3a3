"""Placeholder until the command lands; replaced by its issue's work."""

from __future__ import annotations

import click


@click.command(hidden=True)
def show() -> None:
    """Not built yet."""
    raise click.UsageError("'show' is not built yet")
