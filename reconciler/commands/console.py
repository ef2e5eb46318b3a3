"""Small output helpers the plan/show/apply commands share: colour decision and stderr lines."""

from __future__ import annotations

import sys
from collections.abc import Iterable

import click

from reconciler.text import printable


def warn(lines: Iterable[str]) -> None:
    for line in lines:
        click.echo(f"warning: {printable(line)}", err=True)


def stdin_is_interactive() -> bool:
    """Whether a person can answer a prompt (tests replace this seam: CliRunner has no TTY)."""
    return sys.stdin.isatty()


def stderr_is_interactive() -> bool:
    return sys.stderr.isatty()
