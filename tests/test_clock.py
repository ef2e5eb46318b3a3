"""clock.py: the one way times are read and written (tables, documents, git's committer dates)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from reconciler.clock import clock_from_env, iso_utc, parse_utc, table_time
from reconciler.errors import UsageError

MOMENT = datetime(2026, 11, 2, 9, 0, 5, 250000, tzinfo=UTC)


def test_times_are_written_in_utc_whatever_the_offset() -> None:
    east = MOMENT.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert iso_utc(east) == "2026-11-02T09:00:05.250000Z"
    assert table_time(east) == "2026-11-02 09:00:05"


def test_a_time_with_an_offset_reads_back_as_the_same_utc_instant() -> None:
    assert parse_utc("2026-11-02T14:30:05.25+05:30") == MOMENT
    assert parse_utc(iso_utc(MOMENT)) == MOMENT
    assert parse_utc("2026-11-02T14:30:05+05:30").tzinfo is UTC


def test_the_test_clock_is_fixed_and_needs_an_offset() -> None:
    clock = clock_from_env({"RECONCILER_NOW": "2026-11-28T12:00:00Z"})
    assert clock() == datetime(2026, 11, 28, 12, tzinfo=UTC)
    with pytest.raises(UsageError, match="needs a UTC offset"):
        clock_from_env({"RECONCILER_NOW": "2026-11-28T12:00:00"})
