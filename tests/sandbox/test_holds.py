"""Gateway spend on the sandbox ledger: the cascade, holds, settlement, refunds and expiry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reconciler.errors import (
    BudgetExceeded,
    InsufficientFunds,
    LedgerConflict,
    LedgerNotFound,
    LedgerRequestInvalid,
)
from reconciler.ledger.base import EntryType, Scope
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.sqlite_ledger import ManualClock, seeded_ledger, usd


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def ledger(tmp_path: Path, clock: ManualClock) -> Iterator[SqliteLedger]:
    with seeded_ledger(
        tmp_path / "ledger.db", clock=clock, credit="1000", teams={"team_a": "100"}
    ) as opened:
        opened.allocate_user("user_u", usd("10"))
        yield opened


def kinds(ledger: SqliteLedger, wallet_id: str) -> list[tuple[EntryType, int]]:
    return [(e.type, e.amount) for e in ledger.transactions(wallet_id)]


def test_cascade_user_then_team_then_org(ledger: SqliteLedger) -> None:
    first = ledger.reserve("r1", usd("8"), user_id="user_u", team_id="team_a")
    assert (first.wallet_id, first.scope) == ("wal_user_user_u", Scope.USER)
    second = ledger.reserve("r2", usd("8"), user_id="user_u", team_id="team_a")
    assert (second.wallet_id, second.scope) == ("wal_team_team_a", Scope.TEAM)
    third = ledger.reserve("r3", usd("95"), user_id="user_u", team_id="team_a")
    assert (third.wallet_id, third.scope) == ("wal_org_org_acme", Scope.ORGANIZATION)
    no_team = ledger.reserve("r4", usd("1"), team_id="team_unknown")
    assert no_team.scope is Scope.ORGANIZATION
    assert ledger.user_wallet("user_u").reserved == usd("8")  # type: ignore[union-attr]
    assert ledger.team_wallet("team_a").reserved == usd("8")  # type: ignore[union-attr]
    assert ledger.organization_wallet().reserved == usd("96")
    assert ledger.check() == []


def test_nothing_covers_the_estimate(ledger: SqliteLedger) -> None:
    count = ledger.entry_count()
    with pytest.raises(BudgetExceeded) as err:
        ledger.reserve("r1", usd("5000"), user_id="user_u", team_id="team_a")
    assert str(err.value) == (
        "no wallet covers the estimated cost 5,000.00 of request r1 (user_u has 10.00, "
        "team_a has 100.00, organization wallet has 890.00 available): top up or allocate more"
    )
    assert ledger.entry_count() == count
    assert ledger.check() == []


def test_settle_charges_actual_and_refunds_the_surplus(
    ledger: SqliteLedger, clock: ManualClock
) -> None:
    reservation = ledger.reserve("r1", usd("30"), team_id="team_a")
    team = ledger.team_wallet("team_a")
    assert team is not None
    assert (team.balance, team.reserved, team.available) == (usd("100"), usd("30"), usd("70"))
    clock.advance(timedelta(seconds=2))
    settlement = ledger.settle(reservation.reservation_id, usd("12.345678"))
    assert (settlement.type, settlement.amount, settlement.balance_after) == (
        EntryType.SETTLEMENT,
        -usd("12.345678"),
        usd("87.654322"),
    )
    assert settlement.request_id == "r1"
    assert kinds(ledger, "wal_team_team_a")[1:] == [
        (EntryType.RESERVATION, -usd("30")),
        (EntryType.SETTLEMENT, -usd("12.345678")),
        (EntryType.REFUND, usd("17.654322")),
    ]
    team = ledger.team_wallet("team_a")
    assert team is not None
    assert (team.balance, team.reserved, team.total_spent) == (
        usd("87.654322"),
        0,
        usd("12.345678"),
    )
    # settling again with the same cost answers the same entry; another cost conflicts
    assert ledger.settle(reservation.reservation_id, usd("12.345678")) == settlement
    with pytest.raises(LedgerConflict) as err:
        ledger.settle(reservation.reservation_id, usd("13"))
    assert str(err.value) == (
        "reservation rsv_000000000001 was already settled at 12.345678; "
        "cannot settle it again at 13.00"
    )
    assert ledger.check() == []


def test_settle_above_the_hold(ledger: SqliteLedger) -> None:
    reservation = ledger.reserve("r1", usd("10"), team_id="team_a")
    settlement = ledger.settle(reservation.reservation_id, usd("15"))
    assert settlement.amount == -usd("15")
    assert kinds(ledger, "wal_team_team_a")[1:] == [
        (EntryType.RESERVATION, -usd("10")),
        (EntryType.RESERVATION, -usd("5")),
        (EntryType.SETTLEMENT, -usd("15")),
    ]
    small = ledger.reserve("r2", usd("80"), team_id="team_a")
    count = ledger.entry_count()
    with pytest.raises(InsufficientFunds) as err:
        ledger.settle(small.reservation_id, usd("90.01"))
    assert str(err.value) == (
        "team_a has 5.00 available; cannot settle 90.01 against the hold of 80.00 of "
        "reservation rsv_000000000002"
    )
    assert ledger.entry_count() == count
    ledger.settle(small.reservation_id, usd("85"))
    assert ledger.team_wallet("team_a").available == 0  # type: ignore[union-attr]
    assert ledger.check() == []


def test_settle_at_zero_refunds_the_whole_hold(ledger: SqliteLedger) -> None:
    reservation = ledger.reserve("r1", usd("10"), team_id="team_a")
    answer = ledger.settle(reservation.reservation_id, 0)
    assert (answer.type, answer.amount) == (EntryType.REFUND, usd("10"))
    assert ledger.team_wallet("team_a").total_spent == 0  # type: ignore[union-attr]
    assert ledger.check() == []


def test_holds_expire(ledger: SqliteLedger, clock: ManualClock) -> None:
    reservation = ledger.reserve("r1", usd("40"), team_id="team_a", timeout_seconds=60)
    clock.advance(timedelta(seconds=59))
    assert ledger.expire_reservations() == 0
    assert ledger.team_wallet("team_a").reserved == usd("40")  # type: ignore[union-attr]
    clock.advance(timedelta(seconds=1))
    # a read releases it lazily: the hold never outlives its timeout
    assert ledger.team_wallet("team_a").reserved == 0  # type: ignore[union-attr]
    entries = list(ledger.transactions("wal_team_team_a"))
    assert (entries[-1].type, entries[-1].amount, entries[-1].request_id) == (
        EntryType.EXPIRY,
        usd("40"),
        "r1",
    )
    assert entries[-1].created_at == datetime(2026, 11, 2, 9, 1, tzinfo=UTC)
    assert ledger.expire_reservations() == 0
    with pytest.raises(LedgerConflict) as err:
        ledger.settle(reservation.reservation_id, usd("1"))
    assert str(err.value) == (
        "reservation rsv_000000000001 expired at 2026-11-02T09:01:00.000000Z and its hold of "
        "40.00 was released; it cannot be settled"
    )
    assert ledger.check() == []


def test_expire_reservations_counts_and_writes_lazily(
    ledger: SqliteLedger, clock: ManualClock
) -> None:
    for index in range(3):
        ledger.reserve(f"r{index}", usd("1"), team_id="team_a", timeout_seconds=10 + index)
    clock.advance(timedelta(seconds=11))
    assert ledger.expire_reservations() == 2
    clock.advance(timedelta(seconds=1))
    ledger.allocate("team_b", usd("1"))  # a write releases the last one first
    assert ledger.expire_reservations() == 0
    assert ledger.team_wallet("team_a").reserved == 0  # type: ignore[union-attr]


def test_reserve_is_idempotent_by_request_id(ledger: SqliteLedger) -> None:
    first = ledger.reserve("r1", usd("5"), team_id="team_a")
    assert ledger.reserve("r1", usd("5"), team_id="team_a") == first
    with pytest.raises(LedgerConflict) as err:
        ledger.reserve("r1", usd("6"), team_id="team_a")
    assert str(err.value) == (
        "request 'r1' already has reservation rsv_000000000001 with other parameters; "
        "use a new request id"
    )
    assert ledger.team_wallet("team_a").reserved == usd("5")  # type: ignore[union-attr]


def test_consumer_group_mapping(ledger: SqliteLedger) -> None:
    ledger.configure_gateway({"engineering": "team_a"}, wallet_enforcement=False)
    assert ledger.gateway_config() == ({"engineering": "team_a"}, False)
    off = ledger.reserve("r1", usd("1"), consumer_group="engineering")
    assert off.scope is Scope.ORGANIZATION
    ledger.configure_gateway({"engineering": "team_a"}, wallet_enforcement=True)
    on = ledger.reserve("r2", usd("1"), consumer_group="engineering")
    assert (on.scope, on.wallet_id) == (Scope.TEAM, "wal_team_team_a")
    with pytest.raises(LedgerRequestInvalid) as err:
        ledger.reserve("r3", usd("1"), consumer_group="support")
    assert str(err.value) == (
        "consumer group 'support' is not in the gateway configuration: add it to "
        "consumer_groups with a wallet_team_id"
    )
    ledger.configure_gateway({}, wallet_enforcement=True)
    assert ledger.gateway_config() == ({}, True)


def test_bad_reservation_requests(ledger: SqliteLedger) -> None:
    with pytest.raises(LedgerNotFound, match="no reservation 'rsv_nope'"):
        ledger.settle("rsv_nope", usd("1"))
    with pytest.raises(LedgerRequestInvalid, match="estimated cost must be more than zero"):
        ledger.reserve("r1", 0)
    with pytest.raises(LedgerRequestInvalid, match="actual cost must be zero or more"):
        ledger.settle("rsv_000000000001", -1)
    with pytest.raises(LedgerRequestInvalid, match="timeout_seconds must be between 1 and 86400"):
        ledger.reserve("r1", 1, timeout_seconds=0)
    with pytest.raises(LedgerRequestInvalid, match="request id must not be empty"):
        ledger.reserve(" ", 1)
