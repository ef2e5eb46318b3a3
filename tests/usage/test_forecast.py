"""Forecasts on hand-made spend series: linear baseline, smoothing, too little history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from reconciler.forecast import forecast

START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)
DOLLAR = 1_000_000


def test_linear_run_rate_is_spend_over_elapsed_days_times_the_period() -> None:
    # 10 days elapsed, 1,000.00 spent: 100.00 a day, 30-day period -> 3,000.00.
    series = {date(2026, 11, d): 100 * DOLLAR for d in range(1, 11)}
    now = datetime(2026, 11, 11, tzinfo=UTC)
    result = forecast(
        start=START, end=END, now=now, spent=1_000 * DOLLAR, limit=2_500 * DOLLAR, series=series
    )
    assert result.basis == "linear"
    assert result.burn_rate_per_day == 100 * DOLLAR
    assert result.projected_spend == 3_000 * DOLLAR
    # 1,000 + 100/day reaches 2,500 on the 15th day after the 11th began: 2026-11-25.
    assert result.exhaustion == date(2026, 11, 25)
    assert result.reason is None


def test_no_exhaustion_when_the_projection_stays_under_the_envelope() -> None:
    now = datetime(2026, 11, 16, tzinfo=UTC)
    result = forecast(
        start=START, end=END, now=now, spent=300 * DOLLAR, limit=1_000 * DOLLAR, series={}
    )
    assert (result.basis, result.burn_rate_per_day, result.projected_spend) == (
        "linear",
        20 * DOLLAR,
        600 * DOLLAR,
    )
    assert result.exhaustion is None


def test_already_spent_envelope_is_exhausted_today() -> None:
    now = datetime(2026, 11, 10, 12, tzinfo=UTC)
    result = forecast(start=START, end=END, now=now, spent=500, limit=400, series={})
    assert result.exhaustion == date(2026, 11, 10)


def test_under_two_days_of_the_period_is_insufficient_history() -> None:
    now = datetime(2026, 11, 2, 12, tzinfo=UTC)
    result = forecast(start=START, end=END, now=now, spent=5 * DOLLAR, limit=DOLLAR, series={})
    assert result.basis == "insufficient history"
    assert (result.burn_rate_per_day, result.projected_spend, result.exhaustion) == (
        None,
        None,
        None,
    )
    assert result.reason == "1.5 day(s) of the period elapsed; a forecast needs at least 2"


def test_three_weeks_of_history_switch_to_weekday_aware_smoothing() -> None:
    # 28 days before 2026-11-16 (a Monday): 100.00 on weekdays, nothing at weekends. Weekday
    # factors are 1.4 (weekdays) and 0 (weekends); the smoothed level is 71.428571.. a day.
    first = date(2026, 10, 19)
    series = {
        first + timedelta(days=i): (
            100 * DOLLAR if (first + timedelta(days=i)).weekday() < 5 else 0
        )
        for i in range(28)
    }
    now = datetime(2026, 11, 16, tzinfo=UTC)
    spent = sum(v for d, v in series.items() if d >= date(2026, 11, 1))
    result = forecast(start=START, end=END, now=now, spent=spent, limit=10**12, series=series)
    assert result.basis == "smoothed"
    assert result.burn_rate_per_day == 71_428_571
    # The rest of November: 11 weekdays at 100.00 (16-20, 23-27, 30), weekends at 0.
    assert result.projected_spend == spent + 1_100 * DOLLAR
    linear = forecast(start=START, end=END, now=now, spent=spent, limit=10**12, series={})
    assert linear.basis == "linear"
    assert linear.projected_spend == spent * 2  # 15 of 30 days elapsed


def test_a_period_without_end_has_no_projection() -> None:
    # period: none ends in 9999: nothing to project to (and no day-by-day walk to that year).
    result = forecast(
        start=datetime(1970, 1, 1, tzinfo=UTC),
        end=datetime(9999, 12, 31, tzinfo=UTC),
        now=datetime(2026, 11, 20, tzinfo=UTC),
        spent=5 * DOLLAR,
        limit=DOLLAR,
        series={},
    )
    assert (result.basis, result.projected_spend, result.exhaustion) == (
        "insufficient history",
        None,
        None,
    )
    assert result.reason == "the period has no end to project to"
