"""The suggestion formula on hand-made histories."""

from __future__ import annotations

from decimal import Decimal

from reconciler.suggest import ceil_to_cent, percentile_90, suggest_one

D = 1_000_000


def test_p90_is_nearest_rank() -> None:
    assert percentile_90([]) == 0
    assert percentile_90([5, 1, 3]) == 5  # ceil(2.7) = 3rd smallest
    assert percentile_90(list(range(1, 11))) == 9  # ceil(9.0) = 9th smallest
    assert percentile_90(list(range(1, 12))) == 10  # ceil(9.9) = 10th


def test_ceil_to_cent_rounds_up_any_fraction_of_a_cent() -> None:
    assert ceil_to_cent(Decimal(12_000_000)) == 12_000_000
    assert ceil_to_cent(Decimal(12_000_001)) == 12_010_000


def test_demand_is_the_larger_of_history_and_projection_plus_the_buffer() -> None:
    history = [800 * D, 1_000 * D, 900 * D]
    assert suggest_one(2_000 * D, history, 700 * D, Decimal(20), (None, None)) == (
        1_200 * D,
        "P90 of 3 period(s) 1,000.00 + 20% buffer = 1,200.00",
    )
    assert suggest_one(2_000 * D, history, 1_500_123_456, Decimal("12.5"), (None, None)) == (
        1_687_640_000,  # 1,500.123456 x 1.125 = 1,687.638888 -> 1,687.64
        "projection 1,500.123456 + 12.5% buffer = 1,687.64",
    )


def test_bounds_clamp_and_no_spend_keeps_the_envelope() -> None:
    assert suggest_one(2_000 * D, [100 * D], None, Decimal(0), (500 * D, None)) == (
        500 * D,
        "P90 of 1 period(s) 100.00 + 0% buffer = 100.00, clamped to 500.00 "
        "(envelope_min/envelope_max)",
    )
    assert suggest_one(2_000 * D, [9_000 * D], None, Decimal(0), (None, 5_000 * D))[0] == 5_000 * D
    assert suggest_one(2_000 * D, [0, 0], 0, Decimal(20), (None, None)) == (
        2_000 * D,
        "no spend in the periods looked at: envelope kept",
    )
