from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.errors import UsageError
from reconciler.notes import (
    MAX_NOTE_LENGTH,
    MAX_OVERRIDE_REASON,
    MAX_TEAM_ID,
    Note,
    check_override_reason,
    format_note,
    is_ours,
    op_key,
    op_of,
    parse_note,
)

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
    reason=st.text(min_size=0, max_size=120),
    dirty=st.booleans(),
    team=st.from_regex(r"team_[a-z0-9_]{1,59}", fullmatch=True),
)
def test_an_override_reason_either_fits_every_note_or_is_refused_before_use(
    reason: str, dirty: bool, team: str
) -> None:
    flat = " ".join(reason.split())
    quoted = len(flat) + flat.count("\\") + flat.count('"')
    if not flat.isprintable() or not 0 < quoted <= MAX_OVERRIDE_REASON:
        with pytest.raises(UsageError, match="--override-guards"):
            check_override_reason(reason)
        return
    note = Note(SHA, "a1b2c3d4e5f6", "00112233aabbccdd", team, "2026-W53", dirty, reason)
    text = format_note(note)
    assert len(text) <= MAX_NOTE_LENGTH
    assert "\n" not in text
    parsed = parse_note(text)
    assert parsed is not None
    assert parsed.team_id == team
    assert parsed.dirty is dirty
    assert parsed.override == flat


def test_the_longest_possible_note_fits_in_255_characters() -> None:
    reason = "r" * MAX_OVERRIDE_REASON
    team = "t" * MAX_TEAM_ID
    text = format_note(Note(SHA, "a" * 12, "b" * 16, team, "2026-W53", True, reason))
    assert len(text) == MAX_NOTE_LENGTH
    with pytest.raises(UsageError, match=f"at most {MAX_OVERRIDE_REASON} fit in a ledger note"):
        check_override_reason(reason + "r")


def test_op_key_is_deterministic_and_sensitive_to_every_input() -> None:
    base = ("org", "2026-11", "team_a", "allocate", 5_000_000, SHA, "d" * 64)
    assert op_key(*base) == op_key(*base)
    assert len(op_key(*base)) == 16
    others = ("org2", "2026-12", "team_b", "reclaim", 1, "f" * 40, "e" * 64)
    for index, other in enumerate(others):
        changed = (*base[:index], other, *base[index + 1 :])
        assert op_key(*changed) != op_key(*base), f"op key ignores field {index}"


def test_an_override_reason_with_an_invisible_character_is_refused_before_use() -> None:
    with pytest.raises(UsageError) as refused:
        check_override_reason("ok\u202etxt")
    assert str(refused.value) == (
        "--override-guards reason 'ok\\u202etxt' holds a control, bidi or zero-width character "
        "that a ledger note may not carry: write it in plain text"
    )


def test_is_ours_and_op_of_read_only_reconciler_notes() -> None:
    text = format_note(Note(SHA, "abc123def456", "0123456789abcdef", "team_a", "2026-11"))
    assert is_ours(text)
    assert op_of(text) == "0123456789abcdef"
    for foreign in (None, "", "Q4 top-up", text.replace("reconciler/v1", "reconciler/v2")):
        assert not is_ours(foreign)
        assert op_of(foreign) is None
