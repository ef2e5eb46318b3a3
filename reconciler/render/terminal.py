"""The terminal toolkit every text rendering uses: one table renderer, one colour rule, styles.

- ``use_color`` / ``color_for_stdout``: ANSI colour only on a terminal, never with ``NO_COLOR``;
- ``table`` / ``render_table``: aligned columns on rich (widths measured in terminal cells, so
  wide characters line up), two spaces between columns, no wrapping, no trailing spaces;
- ``Style``: wraps text in ANSI codes when colour is on, and leaves it alone otherwise;
- ``markdown_escape``: the one sanitiser for text from budgets or the ledger in any markdown.

Text that comes from budgets or the ledger is made printable with ``reconciler.text.printable``
(the one rule for every text, markdown and HTML rendering) before it reaches a table; markdown
also goes through ``markdown_escape``, so a note is never markup there.
"""

from __future__ import annotations

import html
import io
import os
import re
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from reconciler.text import printable

if TYPE_CHECKING:
    from rich.console import JustifyMethod

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]|~#!])")
CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}


def use_color(is_tty: bool) -> bool:
    """The one colour rule: a terminal, and no ``NO_COLOR`` in the environment."""
    return is_tty and not os.environ.get("NO_COLOR")


def color_for_stdout() -> bool:
    """ANSI colour on stdout only when it is a terminal and ``NO_COLOR`` is not set."""
    return use_color(sys.stdout.isatty())


class Style:
    """``style(text, "bold", "red")``: ANSI-styled text when colour is on, else ``text``."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *styles: str) -> str:
        if not self.color or not styles:
            return text
        codes = ";".join(CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"


def table(
    rows: Iterable[Sequence[str]],
    *,
    headers: Sequence[str] | None = None,
    right: Iterable[int] = (),
    color: bool = False,
) -> list[str]:
    """Aligned lines: columns separated by two spaces, ``right`` (column indexes) right-aligned,
    the header (when given) in bold when ``color``; no wrapping and no trailing spaces."""
    cells = [list(row) for row in rows]
    aligned = set(right)
    if not color:
        plain = _plain_table(cells, headers, aligned)
        if plain is not None:
            return plain
    return _rich_table(cells, headers, aligned, color)


_PLAIN_LIMIT = 50_000  # cells wider than rich's console could take fall back to rich
_NOT_PLAIN = re.compile(r"[^\x20-\x7e]")  # rich measures the rest (wide, combining)


def _plain_table(
    rows: list[list[str]], headers: Sequence[str] | None, aligned: set[int]
) -> list[str] | None:
    """What rich prints for a colourless table of one-line cells, without rich's per-cell
    rendering (a 10,000-row plan spent seconds there); None when a cell needs rich: anything
    but printable ASCII, a space at either end, a line wider than its console."""
    grid = ([list(headers)] if headers is not None else []) + rows
    if not grid:
        return _rich_table(rows, headers, aligned, False)
    columns = len(grid[0])
    if any(len(row) != columns for row in grid):
        return None
    widths = [0] * columns
    sized = []
    for row in grid:
        cells = []
        for index, cell in enumerate(row):
            if _NOT_PLAIN.search(cell) or cell != cell.strip(" "):
                return None
            width = len(cell)
            widths[index] = max(widths[index], width)
            cells.append((cell, width))
        sized.append(cells)
    if sum(widths) + 2 * columns > _PLAIN_LIMIT:
        return None
    lines = []
    for cells in sized:
        parts = []
        for index, (cell, width) in enumerate(cells):
            pad = " " * (widths[index] - width)
            parts.append(pad + cell if index in aligned else cell + pad)
        lines.append("  ".join(parts).rstrip())
    return lines


def _rich_table(
    rows: list[list[str]], headers: Sequence[str] | None, aligned: set[int], color: bool
) -> list[str]:
    from rich.console import Console  # rich is imported only for a table that needs it
    from rich.table import Table

    columns = len(headers) if headers is not None else len(rows[0]) if rows else 0
    grid = Table(
        box=None,
        show_edge=False,
        pad_edge=False,
        show_header=headers is not None,
        header_style="bold" if color else "",
    )
    for index in range(columns):
        justify: JustifyMethod = "right" if index in aligned else "left"
        grid.add_column(headers[index] if headers else "", justify=justify, no_wrap=True)
    for row in rows:
        grid.add_row(*row)
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=100_000,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
        markup=False,
    )
    console.print(grid)
    return [line.rstrip() for line in buffer.getvalue().splitlines()]


def render_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    right: Iterable[str] = (),
    color: bool = False,
) -> str:
    """``table`` with right-aligned columns named by header; the text ends with a newline."""
    named = set(right)
    indexes = [i for i, header in enumerate(headers) if header in named]
    return "".join(f"{line}\n" for line in table(rows, headers=headers, right=indexes, color=color))


def markdown_escape(text: str | None) -> str:
    """Untrusted text safe inside a markdown table cell or paragraph: printable, on one line,
    HTML escaped (``<img>`` is shown, never loaded) and every markdown metacharacter escaped
    (no link, code span, emphasis or extra table cell)."""
    if not text:
        return ""
    flat = html.escape(" ".join(printable(text).split()), quote=False)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)
