"""Replaying a period's spend under each envelope rule gives the answers worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.ledger.base import Scope
from reconciler.model import Mode
from reconciler.periods import PeriodKind
from reconciler.whatif import compare, replay, replay_all, with_envelopes
from reconciler.whatif_history import periods_to_replay
from tests.whatif.histories import NOVEMBER, Spend, at, desired, team, usd


def october_spend() -> Spend:
    return (
        Spend()
        .add("team_a", at(5), "60.00")
        .add("team_a", at(20, 10, 15), "50.00", "45.00")  # 40.00 left: the org takes it
        .add("team_a", at(25), "10.00", "8.00")
    )


def test_period_mode_brings_the_wallet_to_the_envelope_and_reports_when_it_ran_out() -> None:
    result = replay(
        desired(team("team_a", "100.00")), october_spend().history(carry={"team_a": "30.00"})
    )
    row = result.teams["team_a"]
    assert row.start == usd("100.00")  # carry 30.00 is not rolled over: 70.00 allocated
    assert row.ran_out_at == at(20, 10, 15)
    assert (row.spent, row.fell_through, row.refused) == (usd("113.00"), usd("45.00"), 0)
    assert row.unused == usd("32.00")  # 100 - 60 - 8: the 10.00 hold fit in the 40.00 left


def test_rollover_keeps_the_carry_on_top_of_the_envelope() -> None:
    state = desired(team("team_a", "100.00", rollover=True))
    row = replay(state, october_spend().history(carry={"team_a": "30.00"})).teams["team_a"]
    assert row.start == usd("130.00")
    assert (row.ran_out_at, row.fell_through) == (None, 0)
    assert row.unused == usd("17.00")
    assert row.rollover


def test_the_estimate_decides_the_cascade_not_the_actual_cost() -> None:
    spend = Spend().add("team_a", at(3), "95.00").add("team_a", at(4), "6.00", "1.00")
    row = replay(desired(team("team_a", "100.00")), spend.history()).teams["team_a"]
    assert row.ran_out_at == at(4)  # 5.00 available does not cover the 6.00 estimate
    assert row.fell_through == usd("1.00")
    assert row.unused == usd("5.00")


def test_balance_mode_trims_available_to_the_envelope() -> None:
    state = desired(team("team_a", "100.00", mode=Mode.BALANCE))
    row = replay(state, october_spend().history(carry={"team_a": "130.00"})).teams["team_a"]
    assert row.start == usd("100.00")
    assert row.fell_through == usd("45.00")


def test_protect_forbids_the_reclaim_so_the_carry_stays() -> None:
    state = desired(team("team_a", "100.00", protect=True))
    row = replay(state, october_spend().history(carry={"team_a": "150.00"})).teams["team_a"]
    assert row.start == usd("150.00")
    assert (row.ran_out_at, row.fell_through, row.unused) == (None, 0, usd("37.00"))


def test_a_tombstone_reclaims_everything_so_all_its_spend_falls_through() -> None:
    state = desired(team("team_a", "100.00", removed=True))
    row = replay(state, october_spend().history(carry={"team_a": "40.00"})).teams["team_a"]
    assert (row.start, row.envelope, row.unused) == (0, 0, 0)
    assert row.ran_out_at == at(5)
    assert row.fell_through == row.spent == usd("113.00")


def test_spend_no_wallet_covers_is_refused_and_the_org_low_point_is_reported() -> None:
    state = desired(team("team_a", "100.00"), headroom="20.00")
    # the org holds 150.00 with team_a's 0.00: after allocating 100.00 it has 50.00 left
    result = replay(state, october_spend().history(org="150.00"))
    row = result.teams["team_a"]
    assert row.fell_through == usd("45.00")
    assert row.below_headroom == usd("45.00")  # the 50.00 hold left the org at 0.00 < 20.00
    assert row.refused == 0
    assert (result.org_lowest, result.org_lowest_at) == (0, at(20, 10, 15))
    tight = replay(state, october_spend().history(org="130.00"))
    assert tight.teams["team_a"].refused == usd("45.00")  # the org had 30.00 for a 50.00 hold
    assert tight.teams["team_a"].refused_requests == 1
    assert tight.teams["team_a"].fell_through == 0


def test_a_user_wallet_that_paid_keeps_paying_whatever_the_envelope() -> None:
    spend = Spend().add("team_a", at(2), "80.00", paid_by=Scope.USER).add("team_a", at(3), "90.00")
    row = replay(desired(team("team_a", "100.00")), spend.history()).teams["team_a"]
    assert (row.user_paid, row.fell_through, row.unused) == (usd("80.00"), 0, usd("10.00"))


def test_an_expired_hold_is_released_without_spend() -> None:
    spend = (
        Spend().add("team_a", at(2), "90.00", "0", closed=at(2, 13)).add("team_a", at(3), "90.00")
    )
    row = replay(desired(team("team_a", "100.00")), spend.history()).teams["team_a"]
    assert (row.fell_through, row.spent, row.unused) == (0, usd("90.00"), usd("10.00"))


def test_a_hold_still_open_when_a_request_comes_sends_it_to_the_org() -> None:
    spend = (
        Spend()
        .add("team_a", at(2), "90.00", "0", closed=at(2, 13))
        .add("team_a", at(2, 12, 30), "20.00")
    )
    row = replay(desired(team("team_a", "100.00")), spend.history()).teams["team_a"]
    assert (row.ran_out_at, row.fell_through) == (at(2, 12, 30), usd("20.00"))


def test_consecutive_periods_carry_the_replayed_balance_under_rollover() -> None:
    state = desired(team("team_a", "100.00", rollover=True))
    october = Spend().add("team_a", at(5), "70.00").history()
    november = (
        Spend()
        .add("team_a", datetime(2026, 11, 9, 9, tzinfo=UTC), "120.00")
        .history(period=NOVEMBER)
    )
    first, second = replay_all(state, [october, november])
    assert first.teams["team_a"].unused == usd("30.00")
    assert second.teams["team_a"].start == usd("130.00")
    assert (second.teams["team_a"].fell_through, second.teams["team_a"].unused) == (0, usd("10.00"))


def test_other_envelopes_are_compared_with_the_ones_they_replace() -> None:
    state = desired(team("team_a", "100.00"), team("team_b", "10.00"))
    report = compare(
        with_envelopes(state, {"team_a": usd("150.00")}),
        (october_spend().history(),),
        base=state,
    )
    assert report.base is not None
    assert report.base[0].teams["team_a"].fell_through == usd("45.00")
    assert report.proposed[0].teams["team_a"].fell_through == 0
    assert report.proposed[0].teams["team_b"].envelope == usd("10.00")
    assert report.no_history == {"team_b"}


def test_the_periods_replayed_are_the_completed_ones_of_the_budgets_kind() -> None:
    now = datetime(2026, 11, 10, 8, tzinfo=UTC)
    quarters = periods_to_replay(PeriodKind.QUARTERLY, now, 2)
    assert [p.id for p in quarters] == ["2026-Q2", "2026-Q3"]
    weeks = periods_to_replay(PeriodKind.WEEKLY, now, 2, current=True)
    assert [p.id for p in weeks] == ["2026-W44", "2026-W45", "2026-W46"]


def test_an_organization_that_could_not_fund_the_opening_is_reported() -> None:
    state = desired(team("team_a", "100.00"), headroom="20.00")
    result = replay(state, october_spend().history(org="110.00"))
    assert result.org_opening == usd("10.00")  # below headroom 20.00: plan would refuse
    assert result.teams["team_a"].refused == usd("45.00")
