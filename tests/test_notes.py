from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reconciler.notes import MAX_NOTE_LENGTH, Note, format_note, op_key, parse_note

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_note_round_trip_and_exact_form() -> None:
    note = Note(SHA, "a1b2c3d4e5f6", "00112233aabbccdd", "team_engineering", "2026-11")
    text = format_note(note)
    assert text == (
        f"reconciler/v1 commit={SHA} plan=a1b2c3d4e5f6 op=00112233aabbccdd "
        "team=team_engineering period=2026-11"
    )
    assert parse_note(text) == note


def test_foreign_notes_are_not_ours() -> None:
    assert parse_note("Q2 2026 AI budget allocation") is None
    assert parse_note(None) is None
    assert parse_note(f"reconciler/v1 commit={SHA[:-1]} plan=ab op=1 team=t period=2026-11") is None


@given(
    reason=st.text(min_size=0, max_size=400),
    dirty=st.booleans(),
    team=st.from_regex(r"team_[a-z0-9_]{1,40}", fullmatch=True),
)
def test_override_reason_always_fits_and_parses(reason: str, dirty: bool, team: str) -> None:
    note = Note(SHA, "a1b2c3d4e5f6", "00112233aabbccdd", team, "2026-Q4", dirty, reason)
    text = format_note(note)
    assert len(text) <= MAX_NOTE_LENGTH
    assert "\n" not in text
    parsed = parse_note(text)
    assert parsed is not None
    assert parsed.team_id == team
    assert parsed.dirty is dirty
    assert parsed.override is not None


def test_op_key_is_deterministic_and_sensitive() -> None:
    base = ("org", "2026-11", "team_a", "allocate", 5_000_000, SHA, "p1", 0)
    assert op_key(*base) == op_key(*base)
    assert len(op_key(*base)) == 16
    assert op_key(*base) != op_key(*base[:-1], 1)
