"""The sandbox's observation (three queries for every team at once) is the rule of
``ledger.base`` applied to each wallet's whole history: same wallets, flows in ledger order
(same instant: by entry id), carry at the period's start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from reconciler.ledger.base import observe_from_transactions
from reconciler.periods import PeriodKind, period_at
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.sqlite_ledger import ManualClock, usd

TEAMS = ["team_a", "team_b", "team_c", "team_d", "team_none"]


def _history(path: Path) -> SqliteLedger:
    clock = ManualClock(datetime(2026, 9, 28, 9, tzinfo=UTC))
    ledger = SqliteLedger.create(path, "org_acme", clock=clock)
    ledger.credit(usd("50000.00"), note="seed")
    for day in range(0, 70, 3):
        clock.set(datetime(2026, 9, 28, 9, tzinfo=UTC) + timedelta(days=day))
        for index, team in enumerate(TEAMS[:4]):
            ledger.allocate(team, usd(f"{10 + index + day}.25"), note=f"in {day}")
            if (day + index) % 4 == 0:  # same instant, opposite way: ledger order decides
                ledger.reclaim(team, usd("3.00"), note=f"out {day}")
        held = ledger.reserve(f"r{day}", usd("5.00"), team_id=TEAMS[day % 4])
        ledger.settle(held.reservation_id, usd("4.10"))
        ledger.allocate_user(f"user_{day % 3}", usd("1.00"), note="a user wallet's flow")
    for moment in (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)):
        clock.set(moment)  # exactly at a period's bounds
        ledger.allocate("team_c", usd("7.00"), note="at the bound")
        clock.set(moment - timedelta(microseconds=1))
        ledger.reclaim("team_d", usd("1.00"), note="just before the bound")
    return ledger


def test_observe_equals_the_rule_over_each_wallets_whole_history(tmp_path: Path) -> None:
    with _history(tmp_path / "l.db") as ledger:
        for kind, moment in (
            (PeriodKind.MONTHLY, datetime(2026, 10, 9, tzinfo=UTC)),
            (PeriodKind.MONTHLY, datetime(2026, 11, 20, tzinfo=UTC)),
            (PeriodKind.WEEKLY, datetime(2026, 11, 4, tzinfo=UTC)),
            (PeriodKind.QUARTERLY, datetime(2026, 12, 1, tzinfo=UTC)),
            (PeriodKind.NONE, datetime(2026, 12, 1, tzinfo=UTC)),
        ):
            period = period_at(kind, moment)
            observed = ledger.observe(TEAMS, period)
            assert observed == observe_from_transactions(ledger, TEAMS, period)
            assert list(observed) == TEAMS
        november = period_at(PeriodKind.MONTHLY, datetime(2026, 11, 2, tzinfo=UTC))
        seen = ledger.observe(TEAMS, november)
        assert ledger.observe(["team_b"], november) == {"team_b": seen["team_b"]}
    assert seen["team_none"].wallet is None
    assert len(seen["team_a"].flows) > 10
    assert seen["team_c"].flows[0].note == "at the bound"
    assert seen["team_d"].flows[-1].note == "just before the bound"  # November's, not October's
    assert [f.note for f in seen["team_d"].flows].count("just before the bound") == 1
    notes = [f.note for f in seen["team_a"].flows]
    assert notes.index("out 36") == notes.index("in 36") + 1  # same instant: ledger order
