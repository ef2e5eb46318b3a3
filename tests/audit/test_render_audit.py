"""Untrusted text from a real Keeptrusts ledger (which may hold anything) cannot forge output."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.audit import Finding, Movement
from reconciler.render.audit import render

MOVE = Movement(
    transaction_id="tx_1",
    created_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
    team_id="team_eng",
    action="allocate",
    amount=1_500_000,
    note="top-up\n| forged | row |\x1b[2J",
    actor="con\u202esole",
    klass="out_of_band",
)
FINDING = Finding("out_of_band", "tx_1", "team_eng", "made by con\u202esole\r\nok")


def test_table_escapes_control_and_bidi_characters() -> None:
    out = render([MOVE], [FINDING], "table")
    assert "con\\u202esole" in out
    assert "\u202e" not in out
    assert "\r" not in out
    assert out.count("\n") == 5  # header, row, blank, summary, finding


def test_markdown_escapes_and_cannot_add_a_row() -> None:
    out = render([MOVE], [FINDING], "markdown")
    # printable() escapes the characters, then markdown escapes the backslashes it wrote
    assert "made by con\\\\u202esole\\\\r\\\\nok |" in out
    assert "+1.50" in out


def test_json_and_csv_carry_the_note_exactly() -> None:
    assert '"note": "top-up\\n| forged | row |\\u001b[2J"' in render([MOVE], [], "json")
    csv_text = render([MOVE], [], "csv")
    assert '"top-up\n| forged | row |\x1b[2J"' in csv_text
