"""A colourless table is laid out without rich's per-cell rendering (a 10,000-row plan spent
seconds there); its lines are exactly the lines rich prints for the same cells, whatever they
hold: wide and combining characters, spaces at either end, empty cells, a header wider than the
column, right-aligned columns."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.render import terminal

CELL = st.text(
    alphabet=st.sampled_from([*"ab z-_.,:0123456789", "é", "ü", "漢", "字", "\u0301", "😀"]),
    max_size=12,
)


ASCII = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12)


@st.composite
def grids(draw: st.DrawFn) -> tuple[list[str] | None, list[list[str]], set[int]]:
    columns = draw(st.integers(min_value=1, max_value=5))
    row = st.lists(draw(st.sampled_from([CELL, ASCII])), min_size=columns, max_size=columns)
    headers = draw(st.none() | row)
    rows = draw(st.lists(row, min_size=0 if headers is not None else 1, max_size=8))
    right = draw(st.sets(st.integers(min_value=0, max_value=columns - 1)))
    return headers, rows, right


@settings(max_examples=500, deadline=None)
@given(grids())
def test_the_plain_layout_is_the_layout_rich_prints(
    grid: tuple[list[str] | None, list[list[str]], set[int]],
) -> None:
    headers, rows, right = grid
    rich = terminal._rich_table(rows, headers, right, False)
    assert terminal.table(rows, headers=headers, right=right) == rich
    cells = [*rows, *([headers] if headers is not None else [])]
    if all(cell == cell.strip() and cell.isascii() for row in cells for cell in row):
        assert terminal._plain_table(rows, headers, right) == rich  # the plain path laid it out


def test_a_cell_with_a_line_break_is_left_to_rich() -> None:
    rows = [["team_a", "two\nlines"], ["team_b", "one"]]
    assert terminal._plain_table(rows, None, set()) is None
    assert terminal.table(rows) == terminal._rich_table(rows, None, set(), False)


def test_colour_is_rich_s() -> None:
    lines = terminal.table([["a", "1.00"]], headers=["team", "amount"], right=[1], color=True)
    assert "\x1b[1m" in lines[0]  # the header in bold
