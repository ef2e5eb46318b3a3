from __future__ import annotations

from datetime import UTC, datetime

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
