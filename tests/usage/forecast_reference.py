"""The reference forecast: ``reconciler.forecast`` as first written, walking every day of the
history as a date-keyed dict. The shipped module does the same Decimal operations in the same
order without building the days; ``test_forecast_reference`` holds it to this one.

Spend forecasts from settlements: pure, exact (Decimal over integer micro-USD).

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
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

MIN_ELAPSED_DAYS = Decimal(2)
MIN_SMOOTHING_DAYS = 21
MAX_HORIZON_DAYS = 400  # ``period: none`` ends in 9999: nothing to project to
ALPHA = Decimal("0.3")
_DAY = Decimal(86_400)


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


def weekday_factors(series: Mapping[date, int]) -> dict[int, Decimal]:
    """Per weekday (0 = Monday): its mean daily spend ÷ the mean over all days (1 when none)."""
    if not series:
        return dict.fromkeys(range(7), Decimal(1))
    overall = Decimal(sum(series.values())) / len(series)
    sums, counts = [0] * 7, [0] * 7
    for day, value in series.items():
        sums[day.weekday()] += value
        counts[day.weekday()] += 1
    factors: dict[int, Decimal] = {}
    for weekday in range(7):
        if not counts[weekday] or overall == 0:
            factors[weekday] = Decimal(1)
        else:
            factors[weekday] = Decimal(sums[weekday]) / counts[weekday] / overall
    return factors


def smoothed_level(series: Mapping[date, int], factors: Mapping[int, Decimal]) -> Decimal:
    """Exponentially smoothed, weekday-adjusted daily spend over ``series`` in date order."""
    level: Decimal | None = None
    for day in sorted(series):
        factor = factors[day.weekday()]
        if not factor:  # a weekday that never spends says nothing about the level
            continue
        value = Decimal(series[day]) / factor
        level = value if level is None else ALPHA * value + (1 - ALPHA) * level
    return level or Decimal(0)


def whole_days(series: Mapping[date, int], first: date, last: date) -> dict[date, int]:
    """Every date in [first, last) with its spend (0 on days without settlements)."""
    days: dict[date, int] = {}
    day = first
    while day < last:
        days[day] = series.get(day, 0)
        day += timedelta(days=1)
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
    history = whole_days(series, min(series, default=now.date()), now.date())
    if len(history) >= MIN_SMOOTHING_DAYS:
        factors = weekday_factors(history)
        level = smoothed_level(history, factors)
        daily = {d: level * factors[d] for d in range(7)}
        return _project("smoothed", level, daily, start, end, now, spent, limit)
    rate = Decimal(spent) / elapsed
    return _project("linear", rate, dict.fromkeys(range(7), rate), start, end, now, spent, limit)


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
        next_midnight = datetime.combine(cursor.date() + timedelta(days=1), datetime.min.time())
        step_end = min(next_midnight.replace(tzinfo=cursor.tzinfo), end)
        total += daily[cursor.weekday()] * days_between(cursor, step_end)
        if exhaustion is None and total >= limit:
            exhaustion = cursor.date()
        cursor = step_end
    return Forecast(basis, micros(rate), micros(total), exhaustion)
