"""Properties of the sandbox ledger: no order of operations creates money or breaks check()."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.errors import BudgetExceeded, InsufficientFunds, LedgerConflict, LedgerNotFound
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.sqlite_ledger import ManualClock

TEAM = st.sampled_from(["team_a", "team_b"])
AMOUNT = st.integers(min_value=1, max_value=5_000_000_000)
OPERATION = st.one_of(
    st.tuples(st.just("credit"), st.none(), AMOUNT, st.none()),
    st.tuples(st.just("allocate"), TEAM, AMOUNT, st.sampled_from([None, "k1", "k2"])),
    st.tuples(st.just("reclaim"), TEAM, AMOUNT, st.sampled_from([None, "k1", "k3"])),
    st.tuples(st.just("reserve"), TEAM, AMOUNT, st.sampled_from([None, "user_u"])),
    st.tuples(st.just("fund_user"), st.none(), AMOUNT, st.none()),
    st.tuples(st.just("settle"), st.none(), st.integers(0, 6_000_000_000), st.none()),
    st.tuples(st.just("wait"), st.none(), st.integers(1, 400), st.none()),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(operations=st.lists(OPERATION, max_size=25))
def test_no_sequence_of_operations_breaks_the_ledger(
    operations: list[tuple[str, str | None, int, str | None]],
) -> None:
    clock = ManualClock(datetime(2026, 11, 2, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as tmp:
        ledger = SqliteLedger.create(Path(tmp) / "l.db", "org_p", clock=clock)
        credited = 0
        reservations: list[str] = []
        for index, (kind, team, amount, key) in enumerate(operations):
            before = ledger.list_wallets()
            try:
                if kind == "credit":
                    ledger.credit(amount)
                    credited += amount
                elif kind == "allocate":
                    assert team is not None
                    ledger.allocate(team, amount, idempotency_key=key)
                elif kind == "reclaim":
                    assert team is not None
                    ledger.reclaim(team, amount, idempotency_key=key)
                elif kind == "reserve":
                    reservation = ledger.reserve(
                        f"r{index}", amount, team_id=team, user_id=key, timeout_seconds=300
                    )
                    reservations.append(reservation.reservation_id)
                elif kind == "fund_user":
                    ledger.allocate_user("user_u", amount)
                elif kind == "settle" and reservations:
                    ledger.settle(reservations.pop(0), amount)
                elif kind == "wait":
                    clock.advance(timedelta(seconds=amount))
            except (InsufficientFunds, BudgetExceeded, LedgerConflict, LedgerNotFound):
                assert ledger.list_wallets() == before  # a refusal changes nothing
            assert ledger.check() == []
            wallets = ledger.list_wallets()
            assert sum(w.balance for w in wallets) + sum(w.total_spent for w in wallets) == (
                credited
            )
            assert all(w.available >= 0 and w.reserved >= 0 for w in wallets)
        ledger.close()
