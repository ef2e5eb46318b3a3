from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reconciler.periods import PeriodKind, period_at, period_from_id, previous


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "moment", "period_id", "start", "end"),
    [
        (PeriodKind.MONTHLY, at(2026, 11, 28, 15), "2026-11", at(2026, 11, 1), at(2026, 12, 1)),
        (PeriodKind.MONTHLY, at(2026, 12, 31, 23), "2026-12", at(2026, 12, 1), at(2027, 1, 1)),
        (PeriodKind.QUARTERLY, at(2026, 11, 28), "2026-Q4", at(2026, 10, 1), at(2027, 1, 1)),
        (PeriodKind.QUARTERLY, at(2026, 2, 1), "2026-Q1", at(2026, 1, 1), at(2026, 4, 1)),
        (PeriodKind.WEEKLY, at(2026, 11, 28), "2026-W48", at(2026, 11, 23), at(2026, 11, 30)),
        (PeriodKind.WEEKLY, at(2027, 1, 1), "2026-W53", at(2026, 12, 28), at(2027, 1, 4)),
    ],
)
def test_period_boundaries(
    kind: PeriodKind, moment: datetime, period_id: str, start: datetime, end: datetime
) -> None:
    period = period_at(kind, moment)
    assert (period.id, period.start, period.end) == (period_id, start, end)
    assert period_from_id(kind, period_id) == period
    assert period.contains(start)
    assert not period.contains(end)


def test_previous_period_and_none() -> None:
    assert previous(period_at(PeriodKind.MONTHLY, at(2026, 1, 5))).id == "2025-12"
    everything = period_at(PeriodKind.NONE, at(2026, 1, 5))
    assert everything.id == "all"
    assert everything.contains(at(1999, 1, 1))


def test_bad_period_id_names_the_form() -> None:
    with pytest.raises(ValueError, match=r"is not monthly \(e\.g\. 2026-11\)"):
        period_from_id(PeriodKind.MONTHLY, "2026-Q4")


def second_before(moment: datetime) -> datetime:
    return moment - timedelta(seconds=1)


@pytest.mark.parametrize(
    ("kind", "boundary", "before_id", "after_id"),
    [
        (PeriodKind.MONTHLY, at(2026, 12, 1), "2026-11", "2026-12"),
        (PeriodKind.MONTHLY, at(2027, 1, 1), "2026-12", "2027-01"),
        (PeriodKind.MONTHLY, at(2028, 3, 1), "2028-02", "2028-03"),
        (PeriodKind.QUARTERLY, at(2027, 1, 1), "2026-Q4", "2027-Q1"),
        (PeriodKind.QUARTERLY, at(2026, 7, 1), "2026-Q2", "2026-Q3"),
        (PeriodKind.WEEKLY, at(2026, 12, 28), "2026-W52", "2026-W53"),
        (PeriodKind.WEEKLY, at(2027, 1, 4), "2026-W53", "2027-W01"),
    ],
)
def test_the_last_second_of_a_period_and_the_first_of_the_next(
    kind: PeriodKind, boundary: datetime, before_id: str, after_id: str
) -> None:
    before = period_at(kind, second_before(boundary))
    after = period_at(kind, boundary)
    assert (before.id, before.end) == (before_id, boundary)
    assert (after.id, after.start) == (after_id, boundary)
    assert previous(after) == before


def test_iso_week_53_of_2026_runs_from_28_december_to_3_january() -> None:
    week = period_from_id(PeriodKind.WEEKLY, "2026-W53")
    assert (week.start, week.end) == (at(2026, 12, 28), at(2027, 1, 4))
    assert period_at(PeriodKind.WEEKLY, at(2027, 1, 3, 23, 59, 59)).id == "2026-W53"


def test_29_february_2028_is_in_february_and_q1() -> None:
    leap = at(2028, 2, 29, 12)
    assert period_at(PeriodKind.MONTHLY, leap).id == "2028-02"
    assert period_at(PeriodKind.MONTHLY, leap).end == at(2028, 3, 1)
    assert period_at(PeriodKind.QUARTERLY, leap).id == "2028-Q1"
    assert period_at(PeriodKind.WEEKLY, leap).id == "2028-W09"
