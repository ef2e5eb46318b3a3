"""Options shared by several commands, so they read and behave the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

budgets_dir_argument = click.argument(
    "budgets_dir",
    metavar="[DIR]",
    required=False,
    default="budgets",
    type=click.Path(file_okay=False, path_type=Path),
)


def ledger_options(func: F) -> F:
    """``--ledger URL`` and ``--insecure``, for every command that reads the ledger."""
    func = click.option(
        "--insecure",
        is_flag=True,
        help="Allow plain http:// to a host that is not loopback.",
    )(func)
    func = click.option(
        "--ledger",
        "ledger_url",
        metavar="URL",
        help="Ledger URL (sqlite:///path.db or http(s)://...). Overrides KEEPTRUSTS_API_URL "
        "and the Organization's ledger:.",
    )(func)
    return func
