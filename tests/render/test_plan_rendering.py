"""Renderers: colour only on request, escaping, the empty plan, markdown truncation."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given, settings

from reconciler.history import History
from reconciler.planning import document, planner
from reconciler.planning.types import Action, Change, DriftItem, Plan
from reconciler.render.plan import MAX_MARKDOWN, NO_CHANGES, render, render_markdown, render_text
from reconciler.render.plan_markdown import _render
from reconciler.render.plan_sections import sections
from reconciler.render.terminal import markdown_escape
from tests.planning.scenarios import SCENARIOS
from tests.planning.test_document import plans
from tests.support.planning import COMMIT, NOW


def _plan(name: str) -> Plan:
    s = SCENARIOS[name]()
    return planner.plan(
        s.desired,
        s.observed,
        History(commit=COMMIT, dirty=False, managed_since=s.managed_since, routing=s.routing),
        now=NOW,
        override_reason=s.override_reason,
    )


def test_empty_plan_says_so_in_every_human_format() -> None:
    plan = _plan("no_changes")
    assert NO_CHANGES == "No changes. The ledger matches the budgets."
    assert NO_CHANGES in render_text(plan, color=False)
    assert NO_CHANGES in render_markdown(plan)


def test_colour_only_when_asked() -> None:
    plan = _plan("envelope_changes")
    plain = render_text(plan, color=False)
    coloured = render_text(plan, color=True)
    assert "\x1b[" not in plain
    assert "\x1b[32mallocate\x1b[0m" in coloured
    assert "\x1b[33mreclaim\x1b[0m" in coloured
    assert _strip_ansi(coloured) == plain


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_ledger_text_cannot_drive_the_terminal() -> None:
    plan = _plan("drift_warn")
    evil = replace(plan.drift[0], note="ok\x1b]0;pwned\x07\nsecond line", actor="\x1b[2Jx")
    text = render_text(replace(plan, drift=(evil, *plan.drift[1:])), color=False)
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "ok\\x1b]0;pwned\\x07\\nsecond line" in text


@pytest.mark.parametrize("char", ["\u2028", "\x85", "\u202e", "\u200b", "\u2066", "\r"])
def test_a_note_cannot_forge_a_row_in_text_or_markdown(char: str) -> None:
    plan = _plan("drift_warn")
    evil = replace(plan.drift[0], note=f"ok{char}team_x  +9,999.00")
    forged = replace(plan, drift=(evil, *plan.drift[1:]))
    shown = repr(char)[1:-1]
    text = render_text(forged, color=False)
    assert char not in text
    assert f"ok{shown}team_x  +9,999.00" in text
    markdown = render_markdown(forged)
    assert char not in markdown
    assert f"ok\\{shown}team\\_x +9,999.00" in markdown


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("team_a|b", "team\\_a\\|b"),
        ("`rm -rf`", "\\`rm -rf\\`"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("[link](http://x) & *bold*", "\\[link\\](http://x) &amp; \\*bold\\*"),
        ("two\nlines", "two\\\\nlines"),
        ("bidi\u202eflip", "bidi\\\\u202eflip"),
        (None, ""),
    ],
)
def test_markdown_escape(raw: str | None, escaped: str) -> None:
    assert markdown_escape(raw) == escaped


def test_markdown_escapes_team_ids_notes_and_reasons() -> None:
    plan = _plan("envelope_changes")
    change = replace(plan.changes[0], team_id="t|<b>", reason="why `not` | <i>")
    drift = DriftItem("t|x", "tx1", NOW, 1, "<img src=x>", "a|b", "warn")
    text = render_markdown(replace(plan, changes=(change, *plan.changes[1:]), drift=(drift,)))
    assert "| t\\|&lt;b&gt; |" in text
    assert "why \\`not\\` \\| &lt;i&gt;" in text
    assert "by &lt;img src=x&gt;, note: a\\|b" in text
    assert "<b>" not in text
    assert "<img" not in text


def _big_plan(count: int) -> Plan:
    plan = _plan("envelope_changes")
    changes = tuple(
        Change(f"{i:016x}", f"team_{i:05d}", Action.ALLOCATE, 10_000, 10_000, 0, "x" * 120)
        for i in range(count)
    )
    return replace(plan, changes=changes)


def test_markdown_is_complete_when_it_fits() -> None:
    text = render_markdown(_big_plan(100))
    assert "Truncated" not in text
    assert text.count("| allocate |") == 100


def test_markdown_truncates_under_the_limit_with_a_pointer_to_the_json() -> None:
    plan = _big_plan(2000)
    text = render_markdown(plan)
    assert len(text) <= MAX_MARKDOWN
    shown = text.count("| allocate |")
    assert 100 < shown < 2000
    assert text.startswith("### reconciler plan")
    assert (
        "| Allocate total | 0.20 |" in text.replace("20.00", "0.20") or "| Allocate total |" in text
    )
    assert text.rstrip().endswith(
        f"> Truncated to stay under 60,000 characters: showing at most {shown} row(s) per list "
        "(2000 change(s) in total). The full plan: `reconciler show plan.json --format json`."
    )
    assert len(_render(sections(plan), shown + 1)) > MAX_MARKDOWN  # the most rows that fit


def test_markdown_truncates_a_single_huge_cell() -> None:
    plan = _plan("rollover")
    huge = replace(plan.changes[0], reason="y" * 100_000)
    text = render_markdown(replace(plan, changes=(huge,)))
    assert len(text) <= MAX_MARKDOWN
    assert "y" * 100 not in text
    assert text.rstrip().endswith("The full plan: `reconciler show plan.json --format json`.")


def test_render_dispatch() -> None:
    plan = _plan("rollover")
    assert render(plan, "json") == document.dumps(plan)
    assert json.loads(render(plan, "json"))["format_version"] == 1
    assert render(plan, "text", color=False) == render_text(plan, color=False)
    assert render(plan, "markdown") == render_markdown(plan)
    with pytest.raises(ValueError, match="unknown plan format 'yaml'"):
        render(plan, "yaml")


@settings(max_examples=100, deadline=None)
@given(plans)
def test_any_plan_renders_within_limits(plan: Plan) -> None:
    assert len(render_markdown(plan)) <= MAX_MARKDOWN
    text = render_text(plan, color=False)
    assert "\x1b" not in text
    assert render_text(plan, color=True).count("\n") == text.count("\n")


def _row(text: str, team: str) -> list[str]:
    (line,) = [line for line in text.splitlines() if line[:1].isdigit() and f"  {team}  " in line]
    return line.split()


def test_the_change_row_shows_the_numbers_that_add_up_to_the_amount() -> None:
    plan = _plan("new_period_with_carry")  # allocated 0 this period, carry not rolled over
    text = render_text(plan, color=False)
    assert text.splitlines()[3].split() == [
        "#", "action", "team", "amount", "envelope", "held", "reason"
    ]  # fmt: skip
    assert _row(text, "team_support")[3:6] == ["500.00", "3,000.00", "3,500.00"]
    assert _row(text, "team_eng")[3:6] == ["10,800.00", "12,000.00", "1,200.00"]
    assert "| 1 | reclaim | team\\_support | 500.00 | 3,000.00 | 3,500.00 |" in render_markdown(
        plan
    )


def test_a_short_reclaim_adds_up_with_its_deficit() -> None:
    plan = _plan("deficit_spent_and_reserved")
    (change,) = plan.changes
    (deficit,) = plan.deficits
    row = _row(render_text(plan, color=False), "team_eng")
    assert row[3:6] == ["1,800.00", "2,000.00", "10,000.00"]
    assert (change.amount, deficit.amount) == (1_800_000_000, 6_200_000_000)
