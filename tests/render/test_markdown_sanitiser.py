"""Every markdown rendering shows ledger text through the one sanitiser: no live HTML, no link,
no code span, and a hostile note stays inside its own table row or list item.

The renderings are parsed by markdown-it (CommonMark with raw HTML on, plus tables; rich
already depends on it), so "no live HTML" means what a markdown renderer would do with it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from reconciler.audit import Finding, Movement
from reconciler.planning.types import DriftItem
from reconciler.render.audit import render, render_drift
from reconciler.render.plan import render_markdown
from reconciler.render.terminal import markdown_escape
from tests.render.test_plan_sections import _everything

AT = datetime(2026, 11, 2, 9, tzinfo=UTC)
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "[link](javascript:alert(1))",
    "[sign in again](https://phish.example/login)",
    "![pixel](https://tracker.example/p.png)",
    "`rm -rf /` and <script>alert(1)</script>",
    "paid\n| forged | row | +9,999.00 |",
    "<details open><summary>x</summary>",
]
LIVE = {"html_inline", "html_block", "link_open", "image", "code_inline", "autolink"}


def _tokens(markdown: str) -> list[Token]:
    parser = MarkdownIt("commonmark", {"html": True}).enable("table")
    flat: list[Token] = []
    for token in parser.parse(markdown):
        flat.append(token)
        flat.extend(token.children or [])
    return flat


def _live(markdown: str) -> list[str]:
    """The live elements a renderer would make, and any unescaped ``](`` (markdown-it already
    refuses a ``javascript:`` destination; a renderer with other rules must still see text)."""
    live = [f"{t.type}: {t.content}" for t in _tokens(markdown) if t.type in LIVE]
    return live + [f"link syntax at {m.start()}" for m in re.finditer(r"(?<!\\)\]\(", markdown)]


def _body_rows(markdown: str) -> int:
    tokens = _tokens(markdown)
    body = tokens.index(next(t for t in tokens if t.type == "tbody_open"))
    return sum(1 for t in tokens[body:] if t.type == "tr_open")


@pytest.mark.parametrize("note", HOSTILE)
def test_a_hostile_note_in_drift_markdown_is_text_in_one_row(note: str) -> None:
    item = DriftItem("team_eng", "tx1", AT, 50_000_000, f"console {note}", note, "warn")
    out = render_drift("2026-11", [item], "markdown")
    assert _live(out) == []
    assert _body_rows(out) == 1
    assert "<img" not in out
    assert "<script" not in out


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_ledger_team_and_finding_in_audit_markdown_stay_text(text: str) -> None:
    move = Movement("tx1", AT, f"team {text}", "allocate", 1_000_000, text, text, "out_of_band")
    finding = Finding("out_of_band", f"tx {text}", f"team {text}", f"made by {text}")
    out = render([move], [finding], "markdown")
    assert _live(out) == []
    tables = out.split("### Findings")
    assert [_body_rows(part) for part in tables] == [1, 1]


@pytest.mark.parametrize("note", HOSTILE)
def test_a_hostile_note_in_the_plan_comment_is_one_drift_bullet(note: str) -> None:
    plan = _everything()
    benign = render_markdown(plan)  # the comment's own code spans and <details> blocks
    out = render_markdown(replace(plan, drift=(replace(plan.drift[0], note=note, actor=note),)))
    assert _live(out) == _live(benign)
    assert len(out.splitlines()) == len(benign.splitlines())
    drift_lines = [line for line in out.splitlines() if line.startswith("> - 2026-")]
    assert len(drift_lines) == 1


def test_the_sanitiser_keeps_plain_ids_and_notes_readable() -> None:
    assert markdown_escape("team_eng") == "team\\_eng"
    assert markdown_escape("offsite budget (Q4)") == "offsite budget (Q4)"
    assert markdown_escape("  two   spaces ") == "two spaces"
