"""The Ledger contract, run against SqliteLedger and HttpLedger -> sandbox server alike."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reconciler.errors import (
    BudgetExceeded,
    InsufficientFunds,
    LedgerConflict,
    LedgerNotFound,
    LedgerRequestInvalid,
)
from reconciler.ledger.base import EntryType, Scope, Wallet, WalletStatus
from reconciler.money import to_micros
from reconciler.periods import PeriodKind, period_at
from tests.support.backends import START, Backend

NOTE = (
    "reconciler/v1 commit=0123456789abcdef0123456789abcdef01234567 plan=abcdef12 "
    "op=0011223344556677 team=team_a period=2026-10"
)


def said(backend: Backend, http_prefix: str, message: str) -> str:
    """The exact refusal text: the ledger's message, prefixed by the route over HTTP."""
    return message if backend.name == "sqlite" else f"{http_prefix}: {message}"


def usd(text: str) -> int:
    return to_micros(text)


def funded(backend: Backend, amount: str = "10000.00") -> None:
    backend.ledger.credit(usd(amount), note="seed")


def entries(backend: Backend, wallet: Wallet) -> list[tuple[EntryType, int, str | None]]:
    return [(e.type, e.amount, e.note) for e in backend.ledger.transactions(wallet.id)]


def test_credit_allocate_reclaim_balances_and_entries(backend: Backend) -> None:
    ledger = backend.ledger
    credit = ledger.credit(usd("10000.00"), note="top-up", idempotency_key=None)
    assert (credit.type, credit.amount, credit.note) == (
        EntryType.CREDIT,
        usd("10000.00"),
        "top-up",
    )
    given = ledger.allocate("team_a", usd("1200.50"), note=NOTE)
    assert (given.type, given.amount, given.balance_after) == (
        EntryType.ALLOCATION_IN,
        usd("1200.50"),
        usd("1200.50"),
    )
    assert given.created_at == START
    taken = ledger.reclaim("team_a", usd("200.25"), note="back")
    assert (taken.type, taken.amount, taken.balance_after) == (
        EntryType.ALLOCATION_OUT,
        -usd("200.25"),
        usd("1000.25"),
    )
    org = ledger.organization_wallet()
    assert (org.scope, org.owner_id, org.balance, org.available) == (
        Scope.ORGANIZATION,
        "org_acme",
        usd("8999.75"),
        usd("8999.75"),
    )
    team = ledger.team_wallet("team_a")
    assert team is not None
    assert (team.scope, team.owner_id, team.balance, team.reserved, team.currency) == (
        Scope.TEAM,
        "team_a",
        usd("1000.25"),
        0,
        "USD",
    )
    assert team.total_allocated == backend.sandbox.team_wallet("team_a").total_allocated  # type: ignore[union-attr]
    assert team.status is WalletStatus.HEALTHY
    assert ledger.team_wallet("team_nobody") is None
    assert [w.owner_id for w in ledger.list_wallets()] == ["org_acme", "team_a"]
    assert entries(backend, team) == [
        (EntryType.ALLOCATION_IN, usd("1200.50"), NOTE),
        (EntryType.ALLOCATION_OUT, -usd("200.25"), "back"),
    ]
    assert [(e.type, e.amount) for e in ledger.transactions(org.id)] == [
        (EntryType.CREDIT, usd("10000.00")),
        (EntryType.ALLOCATION_OUT, -usd("1200.50")),
        (EntryType.ALLOCATION_IN, usd("200.25")),
    ]
    assert backend.sandbox.check() == []


@pytest.mark.parametrize(
    "note",
    [NOTE + ' override="hotfix \\"quoted\\" reason"', "Q2 2026 AI budget – é ü ✓", "x" * 255, ""],
)
def test_notes_preserved_exactly(backend: Backend, note: str) -> None:
    funded(backend)
    assert backend.ledger.allocate("team_a", usd("1.00"), note=note).note == note
    team = backend.ledger.team_wallet("team_a")
    assert team is not None
    assert [e.note for e in backend.ledger.transactions(team.id)] == [note]


def test_sub_cent_amounts_are_exact(backend: Backend) -> None:
    funded(backend, "0.000003")
    entry = backend.ledger.allocate("team_a", 1, note="one micro")
    assert (entry.amount, entry.balance_after) == (1, 1)
    assert backend.ledger.organization_wallet().balance == 2


def test_transactions_paging_and_time_window(backend: Backend) -> None:
    funded(backend)
    for index in range(1, 31):
        backend.ledger.allocate("team_a", usd(f"{index}.00"), note=f"n{index}")
        backend.clock.advance(minutes=1)
    team = backend.ledger.team_wallet("team_a")
    assert team is not None
    everything = list(backend.ledger.transactions(team.id))
    assert [e.note for e in everything] == [f"n{i}" for i in range(1, 31)]
    pages, cursor = [], None
    while True:
        page, cursor = backend.ledger.transactions_page(
            team.id, since=None, until=None, limit=8, cursor=cursor
        )
        pages.append([e.note for e in page])
        if cursor is None:
            break
    assert [len(p) for p in pages] == [8, 8, 8, 6]
    assert [note for page in pages for note in page] == [e.note for e in everything]
    since, until = START + timedelta(minutes=10), START + timedelta(minutes=13)
    window = list(backend.ledger.transactions(team.id, since=since, until=until))
    assert [e.note for e in window] == ["n11", "n12", "n13"]
    with pytest.raises(LedgerNotFound, match="no wallet 'wal_missing'"):
        list(backend.ledger.transactions("wal_missing"))


def test_observe_carry_and_flows_across_a_period_boundary(backend: Backend) -> None:
    funded(backend)
    backend.ledger.allocate("team_a", usd("1000.00"), note="october")
    reservation = backend.ledger.reserve("req-1", usd("150.00"), team_id="team_a")
    backend.ledger.settle(reservation.reservation_id, usd("100.00"))
    backend.clock.now = START.replace(month=11, day=2)
    backend.ledger.allocate("team_a", usd("500.00"), note="november")
    backend.ledger.reclaim("team_a", usd("200.00"), note="trim")
    backend.ledger.reserve("req-2", usd("50.00"), team_id="team_a")
    november = period_at(PeriodKind.MONTHLY, backend.clock.now)
    seen = backend.ledger.observe(["team_a", "team_b"], november)
    team_a, team_b = seen["team_a"], seen["team_b"]
    assert team_a.carry == usd("900.00")
    assert [(f.type, f.amount, f.note) for f in team_a.flows] == [
        (EntryType.ALLOCATION_IN, usd("500.00"), "november"),
        (EntryType.ALLOCATION_OUT, -usd("200.00"), "trim"),
    ]
    assert (team_a.balance, team_a.reserved, team_a.available) == (
        usd("1200.00"),
        usd("50.00"),
        usd("1150.00"),
    )
    assert (team_b.wallet, team_b.flows, team_b.carry) == (None, (), 0)
    assert seen == backend.sandbox.observe(["team_a", "team_b"], november)


def test_cascade_reserve_settle_refund_and_expiry(backend: Backend) -> None:
    funded(backend, "1000.00")
    backend.ledger.allocate("team_a", usd("100.00"), note="")
    held = backend.ledger.reserve("req-1", usd("30.00"), team_id="team_a", user_id="user_x")
    assert held.scope is Scope.TEAM
    team = backend.ledger.team_wallet("team_a")
    assert team is not None
    assert (team.balance, team.reserved, team.available) == (usd("100"), usd("30"), usd("70"))
    settled = backend.ledger.settle(held.reservation_id, usd("20.000001"))
    assert (settled.type, settled.amount) == (EntryType.SETTLEMENT, -usd("20.000001"))
    big = backend.ledger.reserve("req-2", usd("500.00"), team_id="team_a")
    assert (big.scope, big.wallet_id) == (
        Scope.ORGANIZATION,
        backend.ledger.organization_wallet().id,
    )
    backend.ledger.reserve("req-3", usd("10.00"), team_id="team_a", timeout_seconds=60)
    backend.clock.advance(seconds=61)
    team = backend.ledger.team_wallet("team_a")
    assert team is not None
    assert (team.balance, team.reserved) == (usd("79.999999"), 0)
    assert [(e.type, e.amount) for e in backend.ledger.transactions(team.id)] == [
        (EntryType.ALLOCATION_IN, usd("100")),
        (EntryType.RESERVATION, -usd("30")),
        (EntryType.SETTLEMENT, -usd("20.000001")),
        (EntryType.REFUND, usd("9.999999")),
        (EntryType.RESERVATION, -usd("10")),
        (EntryType.EXPIRY, usd("10")),
    ]
    assert backend.sandbox.check() == []


def test_consumer_group_maps_to_its_team(backend: Backend) -> None:
    funded(backend)
    backend.ledger.allocate("team_eng", usd("50.00"), note="")
    backend.sandbox.configure_gateway({"engineering": "team_eng"}, True)
    held = backend.ledger.reserve("req-cg", usd("5.00"), consumer_group="engineering")
    assert held.scope is Scope.TEAM
    assert held.wallet_id == backend.ledger.team_wallet("team_eng").id  # type: ignore[union-attr]
    with pytest.raises(LedgerRequestInvalid, match="consumer group 'nope' is not in the gateway"):
        backend.ledger.reserve("req-x", usd("5.00"), consumer_group="nope")


def test_budget_exceeded_when_no_wallet_covers_the_estimate(backend: Backend) -> None:
    funded(backend, "10.00")
    before = backend.sandbox.entry_count()
    with pytest.raises(BudgetExceeded) as info:
        backend.ledger.reserve("req-big", usd("10.01"), team_id="team_a")
    assert str(info.value) == said(
        backend,
        "POST /v1/gateway/wallets/reserve: budget exceeded (402)",
        "no wallet covers the estimated cost 10.01 of request req-big (organization wallet has "
        "10.00 available): top up or allocate more",
    )
    assert backend.sandbox.entry_count() == before


def test_overdraw_refusals_change_nothing(backend: Backend) -> None:
    funded(backend, "100.00")
    backend.ledger.allocate("team_a", usd("60.00"), note="")
    backend.ledger.reserve("req-1", usd("50.00"), team_id="team_a")
    before = (backend.sandbox.entry_count(), backend.ledger.list_wallets())
    with pytest.raises(InsufficientFunds) as info:
        backend.ledger.allocate("team_a", usd("40.01"), note="")
    assert str(info.value) == said(
        backend,
        "POST /v1/wallets/allocate: insufficient funds (422)",
        "organization wallet has 40.00 available; cannot allocate 40.01 to team_a",
    )
    with pytest.raises(InsufficientFunds) as info:
        backend.ledger.reclaim("team_a", usd("10.01"), note="")
    assert str(info.value) == said(
        backend,
        "POST /v1/wallets/reclaim: insufficient funds (422)",
        "team_a has 10.00 available; cannot reclaim 10.01",
    )
    with pytest.raises(LedgerNotFound) as info:
        backend.ledger.reclaim("team_b", usd("1.00"), note="")
    assert str(info.value) == said(
        backend,
        "POST /v1/wallets/reclaim: not found (404)",
        "team team_b has no wallet: nothing to reclaim",
    )
    assert (backend.sandbox.entry_count(), backend.ledger.list_wallets()) == before
    assert backend.sandbox.check() == []


def test_idempotency_replay_and_conflict(backend: Backend) -> None:
    funded(backend)
    first = backend.ledger.allocate("team_a", usd("10.00"), note=NOTE, idempotency_key="op-1")
    again = backend.ledger.allocate("team_a", usd("10.00"), note=NOTE, idempotency_key="op-1")
    assert again == first
    with pytest.raises(LedgerConflict) as info:
        backend.ledger.allocate("team_a", usd("11.00"), note=NOTE, idempotency_key="op-1")
    assert str(info.value) == said(
        backend,
        "POST /v1/wallets/allocate: conflict (409)",
        "idempotency key 'op-1' was already used for a different request (allocate 10.00 to "
        "team team_a); send a new key for a new request",
    )
    with pytest.raises(LedgerConflict):
        backend.ledger.reclaim("team_a", usd("10.00"), note=NOTE, idempotency_key="op-1")
    team = backend.ledger.team_wallet("team_a")
    assert team is not None
    assert entries(backend, team) == [(EntryType.ALLOCATION_IN, usd("10.00"), NOTE)]


def test_the_cascade_starts_at_the_user_wallet(backend: Backend) -> None:
    funded(backend, "100.00")
    backend.ledger.allocate("team_a", usd("20.00"), note="")
    backend.sandbox.allocate_user("user_x", usd("5.00"), note="")
    first = backend.ledger.reserve("r1", usd("4.00"), user_id="user_x", team_id="team_a")
    second = backend.ledger.reserve("r2", usd("4.00"), user_id="user_x", team_id="team_a")
    third = backend.ledger.reserve("r3", usd("30.00"), user_id="user_x", team_id="team_a")
    assert [first.scope, second.scope, third.scope] == [
        Scope.USER,
        Scope.TEAM,
        Scope.ORGANIZATION,
    ]
    again = backend.ledger.reserve("r1", usd("4.00"), user_id="user_x", team_id="team_a")
    assert again == first
    with pytest.raises(LedgerConflict):
        backend.ledger.reserve("r1", usd("4.50"), user_id="user_x", team_id="team_a")
    assert backend.sandbox.check() == []
