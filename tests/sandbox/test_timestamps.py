"""Stored timestamps read back as the instants written, exactly as the first reader read any
text (the last character dropped, the rest read as UTC)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.sandbox.schema import format_timestamp, parse_timestamp


def _first_reader(text: str) -> datetime:
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


@settings(max_examples=300, deadline=None)
@given(st.datetimes(timezones=st.just(UTC)))
def test_a_stored_timestamp_reads_back_as_the_instant_written(moment: datetime) -> None:
    text = format_timestamp(moment)
    assert parse_timestamp(text) == moment
    assert parse_timestamp(text).tzinfo is UTC
    assert parse_timestamp(text) == _first_reader(text)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-28T15:17:06.000000Z",
        "2026-11-28T15:17:06.000000+01:00Z",
        "2026-11-28T15:17:06.00000+0Z",
        "2026-11-28T15:17:06Z",
        "2026-11-28T15:17:06.0000001",
        "20261128T151706.000000Zz",
        "2026-11-28 15:17:06.000000Z",
    ],
)
def test_other_texts_read_as_the_first_reader_read_them(text: str) -> None:
    def outcome(read: Callable[[str], datetime]) -> object:
        try:
            moment = read(text)
        except ValueError:
            return "not a timestamp"
        return moment, moment.tzinfo

    assert outcome(parse_timestamp) == outcome(_first_reader)
