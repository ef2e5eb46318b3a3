"""The shipped forecast equals the day-by-day reference (the first version of the module) on
generated settlement histories: same basis, burn rate, projected spend and exhaustion date,
including envelopes set exactly at, just under and just over the projection."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.forecast import Forecast, cannot_run_out, forecast, projects
from tests.usage import forecast_reference

DAY = timedelta(days=1)


def _fields(result: Forecast | forecast_reference.Forecast) -> tuple[object, ...]:
    return (
        result.basis,
        result.burn_rate_per_day,
        result.projected_spend,
        result.exhaustion,
        result.reason,
    )


periods = st.tuples(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 1)),
    st.sampled_from([7, 28, 30, 31, 91, 92]),
)
amounts = st.one_of(
    st.just(0),
    st.integers(min_value=1, max_value=10**6),
    st.integers(min_value=10**6, max_value=10**13),
    st.integers(min_value=-(10**6), max_value=-1),  # a refund larger than the day's spend
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[datetime, datetime, datetime, dict[date, int], int]:
    first, days = draw(periods)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    end = start + days * DAY
    seconds = st.one_of(
        st.just(0), st.integers(1, 3_600), st.integers(82_800, 86_399), st.integers(0, 86_399)
    )
    now = start + draw(st.integers(-1, days + 1)) * DAY + timedelta(seconds=draw(seconds))
    offsets = st.integers(min_value=-60, max_value=days + 1)
    series = {
        first + offset * DAY: amount
        for offset, amount in draw(st.lists(st.tuples(offsets, amounts), max_size=80))
    }
    spent = sum(v for d, v in series.items() if start.date() <= d <= now.date())
    if draw(st.booleans()):
        spent = draw(amounts)
    return start, end, now, series, spent


@settings(max_examples=400, deadline=None)
@given(histories(), st.integers(min_value=-10, max_value=10**14))
def test_forecast_equals_the_day_by_day_reference(
    history: tuple[datetime, datetime, datetime, dict[date, int], int], limit: int
) -> None:
    start, end, now, series, spent = history
    expected = forecast_reference.forecast(
        start=start, end=end, now=now, spent=spent, limit=limit, series=series
    )
    limits = [limit]
    if expected.projected_spend is not None:  # envelopes at the edge of running out
        limits += [expected.projected_spend + d for d in (-1, 0, 1)]
    if not projects(start=start, end=end, now=now):  # nothing to project: nothing runs out
        assert (expected.basis, expected.exhaustion) == ("insufficient history", None)
    else:
        assert expected.basis != "insufficient history"
    for envelope in limits:
        kwargs = {"start": start, "end": end, "now": now, "spent": spent, "series": series}
        reference = forecast_reference.forecast(limit=envelope, **kwargs)  # type: ignore[arg-type]
        shipped = forecast(limit=envelope, **kwargs)  # type: ignore[arg-type]
        assert _fields(shipped) == _fields(reference)


@settings(max_examples=400, deadline=None)
@given(histories(), st.integers(min_value=-10, max_value=10**15), st.integers(1, 40))
def test_a_team_said_not_to_run_out_does_not(
    history: tuple[datetime, datetime, datetime, dict[date, int], int], limit: int, scale: int
) -> None:
    start, end, now, series, spent = history
    kwargs = {"end": end, "now": now, "spent": spent, "series": series}
    reference = forecast_reference.forecast(start=start, limit=limit, **kwargs)  # type: ignore[arg-type]
    # envelopes from just over the projection to 40 times it: where the bound is closest
    projected = reference.projected_spend or 0
    for envelope in (limit, projected + 1, projected * scale):
        if cannot_run_out(limit=envelope, **kwargs):  # type: ignore[arg-type]
            result = forecast_reference.forecast(start=start, limit=envelope, **kwargs)  # type: ignore[arg-type]
            assert result.exhaustion is None
            assert result.projected_spend is None or result.projected_spend < envelope


def test_a_team_without_spend_cannot_run_out_and_one_near_its_envelope_may() -> None:
    end, now = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 11, 20, 6, tzinfo=UTC)
    assert cannot_run_out(end=end, now=now, spent=0, limit=1, series={})
    assert not cannot_run_out(end=end, now=now, spent=0, limit=0, series={})
    spend = {date(2026, 11, 19): 10**6}
    assert not cannot_run_out(end=end, now=now, spent=10**6, limit=5 * 10**6, series=spend)
    assert cannot_run_out(end=end, now=now, spent=10**6, limit=10**9, series=spend)
    refund = {**spend, date(2026, 11, 18): -1}  # a negative day: no bound is claimed
    assert not cannot_run_out(end=end, now=now, spent=10**6, limit=10**12, series=refund)


def test_the_reference_is_exercised_on_smoothed_histories_that_run_out() -> None:
    # A sanity anchor for the property: 5 weeks of weekday spend, exhaustion mid-period.
    start = datetime(2026, 11, 1, tzinfo=UTC)
    series = {date(2026, 10, 1) + i * DAY: (i % 7 + 1) * 10**6 for i in range(45)}
    kwargs = {
        "start": start,
        "end": datetime(2026, 12, 1, tzinfo=UTC),
        "now": datetime(2026, 11, 15, 6, tzinfo=UTC),
        "spent": 60 * 10**6,
        "limit": 90 * 10**6,
        "series": series,
    }
    expected = forecast_reference.forecast(**kwargs)  # type: ignore[arg-type]
    assert expected.basis == "smoothed"
    assert expected.exhaustion == date(2026, 11, 22)
    assert _fields(forecast(**kwargs)) == _fields(expected)  # type: ignore[arg-type]
