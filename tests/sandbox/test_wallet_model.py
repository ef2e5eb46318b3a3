"""The wallet model of the sandbox ledger: movements, refusals, idempotency, paging, files."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reconciler.errors import (
    InsufficientFunds,
    LedgerConfigError,
    LedgerConflict,
    LedgerNotFound,
    LedgerRequestInvalid,
)
from reconciler.ledger.base import (
    EntryType,
    Ledger,
    Scope,
    WalletStatus,
    observe_from_transactions,
)
from reconciler.periods import PeriodKind, period_at
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.sqlite_ledger import ManualClock, seeded_ledger, usd


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def ledger(tmp_path: Path, clock: ManualClock) -> Iterator[SqliteLedger]:
    with seeded_ledger(tmp_path / "ledger.db", clock=clock) as opened:
        yield opened


def balances(ledger: SqliteLedger) -> dict[str, tuple[int, int]]:
    return {w.owner_id: (w.balance, w.reserved) for w in ledger.list_wallets()}


def test_is_a_ledger(ledger: SqliteLedger) -> None:
    assert isinstance(ledger, Ledger)
    org = ledger.organization_wallet()
    assert (org.id, org.scope, org.owner_id, org.name, org.currency) == (
        "wal_org_org_acme",
        Scope.ORGANIZATION,
        "org_acme",
        "org_acme",
        "USD",
    )
    assert (org.balance, org.reserved, org.available) == (usd("10000"), 0, usd("10000"))


def test_create_makes_an_empty_org_wallet(tmp_path: Path) -> None:
    with SqliteLedger.create(tmp_path / "a" / "b" / "new.db", "org_x") as ledger:
        (org,) = ledger.list_wallets()
        assert (org.balance, org.total_allocated, org.status) == (0, 0, WalletStatus.DEPLETED)
        assert ledger.org_id == "org_x"
        assert ledger.check() == []


def test_credit_allocate_reclaim_write_paired_entries(
    ledger: SqliteLedger, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=1))
    entry = ledger.allocate("team_a", usd("2500.00"), note="q4 budget", actor="alice")
    assert (entry.type, entry.amount, entry.balance_after) == (
        EntryType.ALLOCATION_IN,
        usd("2500"),
        usd("2500"),
    )
    assert (entry.scope, entry.owner_id, entry.note, entry.actor) == (
        Scope.TEAM,
        "team_a",
        "q4 budget",
        "alice",
    )
    assert entry.created_at == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    out = ledger.reclaim("team_a", usd("500.25"), note="trim")
    assert (out.type, out.amount, out.balance_after, out.actor) == (
        EntryType.ALLOCATION_OUT,
        -usd("500.25"),
        usd("1999.75"),
        "sandbox",
    )
    org_entries = list(ledger.transactions(ledger.organization_wallet().id))
    assert [(e.type, e.amount, e.balance_after, e.note) for e in org_entries] == [
        (EntryType.CREDIT, usd("10000"), usd("10000"), "seed"),
        (EntryType.ALLOCATION_OUT, -usd("2500"), usd("7500"), "q4 budget"),
        (EntryType.ALLOCATION_IN, usd("500.25"), usd("8000.25"), "trim"),
    ]
    assert org_entries[1].actor == "alice"
    team = ledger.team_wallet("team_a")
    assert team is not None
    assert (team.balance, team.total_allocated, team.total_spent) == (
        usd("1999.75"),
        usd("1999.75"),
        0,
    )
    assert ledger.organization_wallet().total_allocated == usd("1999.75")
    assert ledger.check() == []


def test_allocate_more_than_available_changes_nothing(ledger: SqliteLedger) -> None:
    ledger.allocate("team_a", usd("9800"))
    before, count = balances(ledger), ledger.entry_count()
    with pytest.raises(InsufficientFunds) as err:
        ledger.allocate("team_a", usd("500"))
    assert str(err.value) == (
        "organization wallet has 200.00 available; cannot allocate 500.00 to team_a"
    )
    assert (balances(ledger), ledger.entry_count(), ledger.check()) == (before, count, [])


def test_reclaim_more_than_available_changes_nothing(ledger: SqliteLedger) -> None:
    ledger.allocate("team_a", usd("300"))
    ledger.reserve("req-1", usd("100"), team_id="team_a")
    before, count = balances(ledger), ledger.entry_count()
    with pytest.raises(InsufficientFunds) as err:
        ledger.reclaim("team_a", usd("500"))
    assert str(err.value) == "team_a has 200.00 available; cannot reclaim 500.00"
    with pytest.raises(InsufficientFunds):
        ledger.reclaim("team_a", usd("200.01"))  # reserved funds are never reclaimed
    assert (balances(ledger), ledger.entry_count(), ledger.check()) == (before, count, [])
    ledger.reclaim("team_a", usd("200"))
    assert balances(ledger)["team_a"] == (usd("100"), usd("100"))


def test_reclaim_from_a_team_without_wallet(ledger: SqliteLedger) -> None:
    with pytest.raises(LedgerNotFound) as err:
        ledger.reclaim("team_ghost", usd("1"))
    assert str(err.value) == "team team_ghost has no wallet: nothing to reclaim"
    assert ledger.team_wallet("team_ghost") is None


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (0, "amount must be more than zero, got 0.00"),
        (-5, "amount must be more than zero, got -0.000005"),
        (1.5, "amount must be an integer number of micro-USD, got 1.5"),
        (True, "amount must be an integer number of micro-USD, got True"),
        (
            10**16,
            "amount 10,000,000,000.00 is over the sandbox limit of 1,000,000,000.00 per operation",
        ),
    ],
)
def test_bad_amounts_are_refused(ledger: SqliteLedger, amount: object, message: str) -> None:
    count = ledger.entry_count()
    for write in (ledger.credit, lambda a: ledger.allocate("team_a", a)):
        with pytest.raises(LedgerRequestInvalid) as err:
            write(amount)  # type: ignore[operator]
        assert str(err.value) == message
    assert ledger.entry_count() == count


def test_bad_ids_and_notes_are_refused(ledger: SqliteLedger) -> None:
    with pytest.raises(LedgerRequestInvalid, match="team id 'team a' is not a valid id"):
        ledger.allocate("team a", usd("1"))
    with pytest.raises(LedgerRequestInvalid) as err:
        ledger.allocate("team_a", usd("1"), note="two\nlines")
    assert str(err.value) == (
        "note must be one line without control characters: character 4 is U+000A (a control "
        "character)"
    )
    with pytest.raises(
        LedgerRequestInvalid, match=r"^note is 256 characters long; the limit is 255$"
    ):
        ledger.credit(usd("1"), note="x" * 256)
    assert ledger.allocate("team_a", usd("1"), note="x" * 255).note == "x" * 255


def test_idempotent_replay_returns_the_original(ledger: SqliteLedger, clock: ManualClock) -> None:
    first = ledger.allocate("team_a", usd("100"), note="n", idempotency_key="op-1")
    clock.advance(timedelta(minutes=5))
    again = ledger.allocate("team_a", usd("100"), note="n", idempotency_key="op-1")
    assert again == first
    assert balances(ledger)["team_a"] == (usd("100"), 0)
    # a replay is answered even when the original could not be made again now
    ledger.allocate("team_b", usd("9900"))
    assert ledger.allocate("team_a", usd("100"), note="n", idempotency_key="op-1") == first
    credit = ledger.credit(usd("5"), idempotency_key="c-1")
    assert ledger.credit(usd("5"), idempotency_key="c-1") == credit
    out = ledger.reclaim("team_a", usd("40"), idempotency_key="r-1")
    assert ledger.reclaim("team_a", usd("40"), idempotency_key="r-1") == out
    assert ledger.check() == []


def test_idempotency_key_reused_for_another_request_conflicts(ledger: SqliteLedger) -> None:
    ledger.allocate("team_a", usd("100"), note="n", idempotency_key="op-1")
    count = ledger.entry_count()
    for other in (
        lambda: ledger.allocate("team_a", usd("101"), note="n", idempotency_key="op-1"),
        lambda: ledger.allocate("team_b", usd("100"), note="n", idempotency_key="op-1"),
        lambda: ledger.allocate("team_a", usd("100"), note="m", idempotency_key="op-1"),
        lambda: ledger.reclaim("team_a", usd("100"), note="n", idempotency_key="op-1"),
        lambda: ledger.credit(usd("100"), note="n", idempotency_key="op-1"),
    ):
        with pytest.raises(LedgerConflict) as err:
            other()
        assert str(err.value) == (
            "idempotency key 'op-1' was already used for a different request "
            "(allocate 100.00 to team team_a); send a new key for a new request"
        )
    assert ledger.entry_count() == count


def test_wallet_status(ledger: SqliteLedger) -> None:
    ledger.allocate("team_a", usd("1000"))
    assert ledger.team_wallet("team_a").status is WalletStatus.HEALTHY  # type: ignore[union-attr]
    ledger.reclaim("team_a", usd("0.01"))
    reservation = ledger.reserve("r1", usd("900"), team_id="team_a")
    team = ledger.team_wallet("team_a")
    assert team is not None
    assert (team.available, team.total_allocated, team.status) == (
        usd("99.99"),
        usd("999.99"),
        WalletStatus.LOW,
    )
    ledger.settle(reservation.reservation_id, usd("999.99"))
    assert ledger.team_wallet("team_a").status is WalletStatus.DEPLETED  # type: ignore[union-attr]
    ledger.allocate("team_b", usd("8000"))
    org = ledger.organization_wallet()
    assert (org.available, org.status) == (usd("1000.01"), WalletStatus.HEALTHY)
    ledger.allocate("team_b", usd("0.02"))
    assert ledger.organization_wallet().status is WalletStatus.LOW


def test_paging_with_cursors(ledger: SqliteLedger, clock: ManualClock) -> None:
    for index in range(7):
        clock.advance(timedelta(seconds=1 if index % 2 else 0))
        ledger.allocate("team_a", usd("1") + index)
    wallet_id = ledger.team_wallet("team_a").id  # type: ignore[union-attr]
    everything = list(ledger.transactions(wallet_id))
    seen, cursor, pages = [], None, 0
    while True:
        page, cursor = ledger.transactions_page(wallet_id, limit=3, cursor=cursor)
        seen.extend(page)
        pages += 1
        if cursor is None:
            break
    assert (seen, pages) == (everything, 3)
    assert [e.amount for e in everything] == [usd("1") + i for i in range(7)]
    assert ledger.transactions_page(wallet_id, limit=7) == (everything, None)
    with pytest.raises(LedgerRequestInvalid, match="limit must be between 1 and 1000, got 0"):
        ledger.transactions_page(wallet_id, limit=0)
    with pytest.raises(LedgerRequestInvalid) as err:
        ledger.transactions_page(wallet_id, cursor="garbage!")
    assert str(err.value) == (
        "cursor 'garbage!' is not one this ledger returned: start again without a cursor"
    )
    with pytest.raises(LedgerNotFound, match="no wallet 'wal_team_nope' in the sandbox ledger"):
        ledger.transactions_page("wal_team_nope")


def test_transactions_window_and_unknown_wallet(ledger: SqliteLedger, clock: ManualClock) -> None:
    start = clock()
    ledger.allocate("team_a", usd("1"))
    clock.advance(timedelta(days=1))
    ledger.allocate("team_a", usd("2"))
    wallet_id = ledger.team_wallet("team_a").id  # type: ignore[union-attr]
    day = timedelta(days=1)
    assert [e.amount for e in ledger.transactions(wallet_id, since=start + day)] == [usd("2")]
    assert [e.amount for e in ledger.transactions(wallet_id, until=start + day)] == [usd("1")]
    assert [e.amount for e in ledger.all_transactions(since=start + day)] == [-usd("2"), usd("2")]
    with pytest.raises(LedgerNotFound):
        list(ledger.transactions("wal_team_nope"))
    with pytest.raises(LedgerNotFound):
        ledger.wallet("wal_team_nope")
    assert ledger.wallet(wallet_id).balance == usd("3")
    with pytest.raises(LedgerRequestInvalid, match="since must be a UTC-aware datetime"):
        list(ledger.transactions(wallet_id, since=datetime(2026, 1, 1)))


def test_observe_carry_and_flows_across_periods(tmp_path: Path, clock: ManualClock) -> None:
    clock.set(datetime(2026, 10, 5, tzinfo=UTC))
    ledger = seeded_ledger(tmp_path / "l.db", clock=clock, teams={"team_a": "1000"})
    reservation = ledger.reserve("r1", usd("300"), team_id="team_a")
    ledger.settle(reservation.reservation_id, usd("250.5"))
    clock.set(datetime(2026, 10, 31, 23, 59, 59, 999999, tzinfo=UTC))
    ledger.reclaim("team_a", usd("49.5"), note="october trim")
    clock.set(datetime(2026, 11, 1, tzinfo=UTC))
    ledger.allocate("team_a", usd("300"), note="november")
    clock.set(datetime(2026, 11, 20, tzinfo=UTC))
    ledger.reclaim("team_a", usd("100"), note="mid-month")
    november = period_at(PeriodKind.MONTHLY, clock())
    observed = ledger.observe(["team_a", "team_b"], november)
    team_a = observed["team_a"]
    assert team_a.carry == usd("700")  # 1000 - 250.50 - 49.50
    assert [(f.type, f.amount, f.note) for f in team_a.flows] == [
        (EntryType.ALLOCATION_IN, usd("300"), "november"),
        (EntryType.ALLOCATION_OUT, -usd("100"), "mid-month"),
    ]
    assert team_a.balance == usd("900")
    assert observed["team_b"].wallet is None
    assert (observed["team_b"].carry, observed["team_b"].flows) == (0, ())
    assert observed == observe_from_transactions(ledger, ["team_a", "team_b"], november)
    october = period_at(PeriodKind.MONTHLY, datetime(2026, 10, 9, tzinfo=UTC))
    assert ledger.observe(["team_a"], october)["team_a"].carry == 0
    assert [f.note for f in ledger.observe(["team_a"], october)["team_a"].flows] == [
        "seed",
        "october trim",
    ]
    ledger.close()


def test_entries_are_append_only(ledger: SqliteLedger) -> None:
    raw = sqlite3.connect(ledger.path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only: UPDATE is not allowed"):
            raw.execute("UPDATE entries SET amount = 1")
        with pytest.raises(sqlite3.IntegrityError, match="append-only: DELETE is not allowed"):
            raw.execute("DELETE FROM entries")
        with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
            raw.execute(
                "INSERT INTO entries (wallet_id, type, amount, balance_after, created_at, actor)"
                " VALUES ('wal_org_org_acme', 'credit', -5, 0, '2026-11-02T09:00:00.000000Z', 'x')"
            )
        with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
            raw.execute(
                "INSERT INTO entries (wallet_id, type, amount, balance_after, created_at, actor)"
                " VALUES ('wal_org_org_acme', 'gift', 5, 0, '2026-11-02T09:00:00.000000Z', 'x')"
            )
    finally:
        raw.close()
    assert ledger.check() == []


def test_check_reports_tampering(ledger: SqliteLedger) -> None:
    ledger.allocate("team_a", usd("100"))
    raw = sqlite3.connect(ledger.path)
    try:
        raw.execute("UPDATE wallets SET balance = balance + 1000000 WHERE owner_id = 'team_a'")
        raw.execute("DROP TRIGGER entries_are_append_only_delete")
        raw.execute("DELETE FROM entries WHERE type = 'credit'")
        raw.commit()
    finally:
        raw.close()
    assert ledger.check() == [
        "conservation: credits 0.00 != wallet balances 10,001.00 + settled spend 0.00",
        "wal_org_org_acme: balance 9,900.00 != -100.00 from its entries",
        "wal_team_team_a: balance 101.00 != 100.00 from its entries",
        "entry 2 of wal_org_org_acme: balance_after 9,900.00 != running balance -100.00",
        "trigger entries_are_append_only_delete is missing: entries are no longer append-only",
    ]


def test_migrations_table_and_reopen(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "l.db"
    seeded_ledger(path, clock=clock, teams={"team_a": "10"}).close()
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("SELECT version, name FROM migrations").fetchall() == [
            (1, "initial schema"),
            (2, "index credits and reservation entries"),
            (3, "record who each reservation was for, and cost tickets"),
            (4, "index entries by wallet, type and time"),
        ]
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        raw.close()
    with SqliteLedger(path) as reopened:
        assert balances(reopened) == {
            "org_acme": (usd("9990"), 0),
            "team_a": (usd("10"), 0),
        }
    with SqliteLedger.create(path, "org_acme") as again:  # init is idempotent for the same org
        assert again.entry_count() == 3


def test_an_old_file_is_migrated_and_a_newer_one_refused(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    seeded_ledger(path, teams={"team_a": "10"}).close()
    raw = sqlite3.connect(path)
    try:  # make it a version-1 file
        raw.execute("DROP INDEX entries_credit_amounts")
        raw.execute("DROP INDEX entries_by_reservation")
        raw.execute("DROP INDEX entries_by_wallet_type_time")
        for column in ("user_id", "team_id", "consumer_group"):
            raw.execute(f"ALTER TABLE reservations DROP COLUMN {column}")
        raw.execute("DROP TABLE cost_tickets")
        raw.execute("DELETE FROM migrations WHERE version >= 2")
        raw.commit()
    finally:
        raw.close()
    with SqliteLedger(path) as ledger:
        assert ledger.organization_wallet().balance == usd("9990")
        assert ledger.check() == []
    raw = sqlite3.connect(path)
    try:
        indexes = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
        assert {
            "entries_credit_amounts",
            "entries_by_reservation",
            "entries_by_wallet_type_time",
        } <= indexes
        assert raw.execute("SELECT max(version) FROM migrations").fetchone() == (4,)
        raw.execute("INSERT INTO migrations VALUES (99, 'from the future', 'x')")
        raw.commit()
    finally:
        raw.close()
    with pytest.raises(LedgerConfigError) as err:
        SqliteLedger(path)
    assert str(err.value) == (
        f"sandbox ledger {path} has schema version 99, newer than this reconciler supports "
        "(4): upgrade reconciler"
    )


def test_open_errors(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    with pytest.raises(LedgerConfigError) as err:
        SqliteLedger(missing)
    assert str(err.value) == (
        f"no sandbox ledger at {missing}: create it with "
        f"`reconciler sandbox init --db {missing} --org ORG_ID`"
    )
    assert not missing.exists()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(LedgerConfigError, match="is not a sandbox ledger"):
        SqliteLedger(junk)
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    empty.write_bytes(b"")
    with pytest.raises(LedgerConfigError, match="is not a sandbox ledger: create it with"):
        SqliteLedger(empty)
    SqliteLedger.create(tmp_path / "org.db", "org_one").close()
    with pytest.raises(LedgerConfigError) as err:
        SqliteLedger.create(tmp_path / "org.db", "org_two")
    assert str(err.value) == (
        f"{tmp_path / 'org.db'} is already the sandbox ledger of org_one, not org_two: "
        "pick another --db path"
    )
    closed = SqliteLedger(tmp_path / "org.db")
    closed.close()
    with pytest.raises(LedgerConfigError, match="is closed"):
        closed.list_wallets()


def test_user_wallets(ledger: SqliteLedger) -> None:
    entry = ledger.allocate_user("user_bob", usd("20"), note="pocket money")
    assert (entry.scope, entry.owner_id, entry.wallet_id) == (
        Scope.USER,
        "user_bob",
        "wal_user_user_bob",
    )
    ledger.reclaim_user("user_bob", usd("5"))
    assert ledger.user_wallet("user_bob").balance == usd("15")  # type: ignore[union-attr]
    assert [w.scope for w in ledger.list_wallets()] == [Scope.ORGANIZATION, Scope.USER]
    assert ledger.check() == []
