"""Spend forecasts from settlements: pure, exact (Decimal over integer micro-USD).

Inputs are the period's bounds, the instant ``now``, the spend settled so far in the period and
a daily spend series (UTC dates -> micros, settlements only: top-ups and allocations never
distort it). Three methods, chosen by how much history there is:

- **insufficient**: less than ``MIN_ELAPSED_DAYS`` of the period has passed: no forecast
  (every number null) and a reason.
- **linear** (the baseline, as AWS Budgets and LiteLLM do): rate = spent ÷ elapsed days;
  projected = spent + rate × remaining days.
- **smoothed**, once the series covers at least ``MIN_SMOOTHING_DAYS`` (three weeks) of whole
  days: each day's spend is divided by its weekday's factor (the weekday's mean ÷ the overall
  mean), exponential smoothing with ``ALPHA`` gives the level (level = α·x + (1−α)·level,
  seeded with the first value; weekdays with factor 0 are skipped), and each remaining day d
  is projected at level × factor(d) (the current day counts for its remaining fraction).

Exhaustion: the first UTC date on which cumulative projected spend reaches ``limit`` (the
envelope), or None when it does not happen before the period ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

MIN_ELAPSED_DAYS = Decimal(2)
MIN_SMOOTHING_DAYS = 21
MAX_HORIZON_DAYS = 400  # ``period: none`` ends in 9999: nothing to project to
ALPHA = Decimal("0.3")
_KEEP = 1 - ALPHA
_DAY = Decimal(86_400)
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Forecast:
    basis: str  # "linear" | "smoothed" | "insufficient history"
    burn_rate_per_day: int | None  # micros per day
    projected_spend: int | None  # micros over the whole period
    exhaustion: date | None
    reason: str | None = None


def days_between(start: datetime, end: datetime) -> Decimal:
    delta = end - start
    return (
        Decimal(delta.days * 86_400 + delta.seconds) + Decimal(delta.microseconds) / 10**6
    ) / _DAY


def micros(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def weekday_factors(days: Mapping[int, int], length: int, first: int) -> dict[int, Decimal]:
    """Per weekday (0 = Monday): its mean daily spend ÷ the mean over all days (1 when none).

    The days are ``length`` consecutive dates, the first a weekday ``first``; ``days`` holds the
    spend of those with settlements by their index (every other day spent 0)."""
    if not length:
        return dict.fromkeys(range(7), Decimal(1))
    overall = Decimal(sum(days.values())) / length
    sums = [0] * 7
    counts = [(length - i + 6) // 7 for i in range(7)]  # by offset from ``first``
    counts = [counts[(weekday - first) % 7] for weekday in range(7)]
    for index, value in days.items():
        sums[(first + index) % 7] += value
    factors: dict[int, Decimal] = {}
    for weekday in range(7):
        if not counts[weekday] or overall == 0:
            factors[weekday] = Decimal(1)
        else:
            factors[weekday] = Decimal(sums[weekday]) / counts[weekday] / overall
    return factors


def smoothed_level(
    days: Mapping[int, int], length: int, first: int, factors: Mapping[int, Decimal]
) -> Decimal:
    """Exponentially smoothed, weekday-adjusted daily spend over the ``length`` days (as in
    ``weekday_factors``) in date order. A day without spend is x = 0, so its step is
    level = (1 − α)·level: the same Decimal operation, without dividing zero."""
    level: Decimal | None = None
    for index in range(length):
        factor = factors[(first + index) % 7]
        if not factor:  # a weekday that never spends says nothing about the level
            continue
        spend = days.get(index, 0)
        if level is None:
            level = Decimal(spend) / factor
        elif spend:
            level = ALPHA * (Decimal(spend) / factor) + _KEEP * level
        else:
            level = _KEEP * level
    return level or Decimal(0)


def _by_index(series: Mapping[date, int], first: date, length: int) -> dict[int, int]:
    """The series' days in [first, first + length) by their offset from ``first``."""
    days: dict[int, int] = {}
    for day, value in series.items():
        index = (day - first).days
        if 0 <= index < length:
            days[index] = value
    return days


def forecast(
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    spent: int,
    limit: int,
    series: Mapping[date, int],
) -> Forecast:
    """The forecast for a period [start, end) at ``now`` (see the module docstring)."""
    now = min(max(now, start), end)
    if end - now > timedelta(days=MAX_HORIZON_DAYS):
        return Forecast(
            "insufficient history", None, None, None, "the period has no end to project to"
        )
    elapsed = days_between(start, now)
    if elapsed < MIN_ELAPSED_DAYS:
        return Forecast(
            "insufficient history",
            None,
            None,
            None,
            f"{elapsed.quantize(Decimal('0.1'))} day(s) of the period elapsed; a forecast needs "
            f"at least {MIN_ELAPSED_DAYS}",
        )
    first = min(series, default=now.date())
    length = max((now.date() - first).days, 0)  # whole days [first, today): today is partial
    if length >= MIN_SMOOTHING_DAYS:
        days = _by_index(series, first, length)
        factors = weekday_factors(days, length, first.weekday())
        level = smoothed_level(days, length, first.weekday(), factors)
        daily = {d: level * factors[d] for d in range(7)}
        return _project("smoothed", level, daily, start, end, now, spent, limit)
    rate = Decimal(spent) / elapsed
    return _project("linear", rate, dict.fromkeys(range(7), rate), start, end, now, spent, limit)


def projects(*, start: datetime, end: datetime, now: datetime) -> bool:
    """Whether ``forecast`` projects anything for the period [start, end) at ``now``: not when
    too little of it has passed or it has no end to project to (every figure is then None)."""
    now = min(max(now, start), end)
    if end - now > timedelta(days=MAX_HORIZON_DAYS):
        return False
    return days_between(start, now) >= MIN_ELAPSED_DAYS


def cannot_run_out(
    *, end: datetime, now: datetime, spent: int, limit: int, series: Mapping[date, int]
) -> bool:
    """True when ``forecast`` (same arguments) provably projects less than ``limit`` for every
    day to the period's end, so its exhaustion is None: a bound from integers, no forecast.

    With no negative spend, the smoothed level is a weighted mean of x/factor over the history's
    days, each at most count(weekday)·S/N (S its spend, N its days, x <= its weekday's sum), and
    a weekday's factor is at most N/count(weekday); a day's projection is then at most
    S·ceil(N/7)/floor(N/7) <= 2·S (N >= 21). The linear rate is spent/elapsed <= spent/2. At
    most R steps remain, each at most one day: total <= spent + R·max(2·S, spent), kept a
    billionth clear of ``limit`` for the Decimal steps' rounding.
    """
    if spent < 0 or any(value < 0 for value in series.values()):
        return False
    steps = (end - now) // _ONE_DAY + 2
    bound = spent + max(steps, 0) * max(2 * sum(series.values()), spent)
    return bound + bound // 10**9 < limit


def _project(
    basis: str,
    rate: Decimal,
    daily: Mapping[int, Decimal],
    start: datetime,
    end: datetime,
    now: datetime,
    spent: int,
    limit: int,
) -> Forecast:
    total = Decimal(spent)
    exhaustion = now.date() if spent >= limit else None
    cursor = now
    while cursor < end:
        next_midnight = datetime.combine(cursor.date() + _ONE_DAY, time(), cursor.tzinfo)
        step_end = min(next_midnight, end)
        if step_end - cursor == _ONE_DAY:  # a whole day: x·1 is x, the one Decimal step left
            total += daily[cursor.weekday()]
        else:
            total += daily[cursor.weekday()] * days_between(cursor, step_end)
        if exhaustion is None and total >= limit:
            exhaustion = cursor.date()
        cursor = step_end
    return Forecast(basis, micros(rate), micros(total), exhaustion)
