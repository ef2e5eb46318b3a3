"""Budget periods: UTC boundaries and ids (``2026-11``, ``2026-Q4``, ``2026-W48``, ``all``)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from reconciler.clock import as_utc

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
END_OF_TIME = datetime(9999, 12, 31, tzinfo=UTC)


class PeriodKind(enum.StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    WEEKLY = "weekly"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Period:
    """The half-open interval [start, end) in UTC, with its id."""

    kind: PeriodKind
    id: str
    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def period_at(kind: PeriodKind, moment: datetime) -> Period:
    """The period of ``kind`` that contains ``moment``."""
    now = as_utc(moment)
    if kind is PeriodKind.NONE:
        return Period(kind, "all", EPOCH, END_OF_TIME)
    if kind is PeriodKind.MONTHLY:
        start = datetime(now.year, now.month, 1, tzinfo=UTC)
        end = datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=UTC)
        return Period(kind, f"{now.year:04d}-{now.month:02d}", start, end)
    if kind is PeriodKind.QUARTERLY:
        quarter = (now.month - 1) // 3 + 1
        start = datetime(now.year, 3 * quarter - 2, 1, tzinfo=UTC)
        end = (
            datetime(now.year + 1, 1, 1, tzinfo=UTC)
            if quarter == 4
            else datetime(now.year, 3 * quarter + 1, 1, tzinfo=UTC)
        )
        return Period(kind, f"{now.year:04d}-Q{quarter}", start, end)
    iso_year, iso_week, iso_day = now.isocalendar()
    start = datetime(now.year, now.month, now.day, tzinfo=UTC) - timedelta(days=iso_day - 1)
    return Period(kind, f"{iso_year:04d}-W{iso_week:02d}", start, start + timedelta(days=7))


_ID_PATTERNS = {
    PeriodKind.MONTHLY: re.compile(r"^(\d{4})-(\d{2})$"),
    PeriodKind.QUARTERLY: re.compile(r"^(\d{4})-Q([1-4])$"),
    PeriodKind.WEEKLY: re.compile(r"^(\d{4})-W(\d{2})$"),
}


def period_from_id(kind: PeriodKind, period_id: str) -> Period:
    """Parse a period id of ``kind``; ValueError naming the expected form when it does not fit."""
    if kind is PeriodKind.NONE:
        if period_id != "all":
            raise ValueError(f"period id {period_id!r}: with period: none the only id is 'all'")
        return period_at(kind, EPOCH)
    match = _ID_PATTERNS[kind].match(period_id)
    examples = {"monthly": "2026-11", "quarterly": "2026-Q4", "weekly": "2026-W48"}
    if match is None:
        raise ValueError(f"period id {period_id!r} is not {kind.value} (e.g. {examples[kind]})")
    year, part = int(match[1]), int(match[2])
    try:
        if kind is PeriodKind.MONTHLY:
            return period_at(kind, datetime(year, part, 1, tzinfo=UTC))
        if kind is PeriodKind.QUARTERLY:
            return period_at(kind, datetime(year, 3 * part - 2, 1, tzinfo=UTC))
        monday = datetime.fromisocalendar(year, part, 1).replace(tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"period id {period_id!r} does not exist") from exc
    return period_at(kind, monday)


def previous(period: Period) -> Period:
    """The period just before ``period`` (the same one for ``none``)."""
    if period.kind is PeriodKind.NONE:
        return period
    return period_at(period.kind, period.start - timedelta(microseconds=1))
