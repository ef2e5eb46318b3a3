"""Observing a period reads only the period: carry from the balance and the entries since its
start equals the balance at the start summed over the whole history, embedded and over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.ledger.base import (
    EntryType,
    Scope,
    Transaction,
    Wallet,
    WalletStatus,
    observation_from_entries,
    observation_since_start,
)
from reconciler.ledger.http import HttpLedger
from reconciler.periods import PeriodKind, period_at
from reconciler.sandbox.ledger import SqliteLedger
from reconciler.sandbox.server import create_app
from tests.support.budgets import gateway_doc, organization_doc, team_doc, write_budgets
from tests.support.sandbox_server import BILLING_TOKEN, READ_TOKEN, serving
from tests.support.sqlite_ledger import ManualClock, usd

TEAMS = ("team_a", "team_b", "team_c")
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
NOVEMBER = period_at(PeriodKind.MONTHLY, NOW)
HEALTHY = WalletStatus.HEALTHY


@pytest.fixture(scope="module")
def traffic_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two months of real movements and simulated gateway traffic on three team wallets."""
    root = tmp_path_factory.mktemp("traffic")
    budgets = write_budgets(
        root / "budgets",
        organization=organization_doc("org_acme"),
        teams=[team_doc(t, "900.00") for t in TEAMS],
        gateway=gateway_doc({f"cg_{t}": t for t in TEAMS}),
    )
    db = root / "l.db"
    clock = ManualClock(datetime(2026, 10, 1, tzinfo=UTC))
    with SqliteLedger.create(db, "org_acme", clock=clock) as ledger:
        ledger.credit(usd("100000.00"), note="seed")
        for team in TEAMS:
            ledger.allocate(team, usd("300.00"), note="october")
    for seed, at in (("3", "2026-10-20T00:00:00Z"), ("4", "2026-11-20T12:00:00Z")):
        if at.startswith("2026-11"):
            clock.set(datetime(2026, 11, 1, 8, tzinfo=UTC))
            with SqliteLedger(db, clock=clock) as ledger:
                ledger.reclaim("team_a", usd("25.50"), note="november trim")
                ledger.allocate("team_b", usd("120.00"), note="november top-up")
        result = CliRunner().invoke(
            cli,
            [
                *("sandbox", "traffic", "--db", str(db), str(budgets), "--requests", "300"),
                *("--seed", seed, "--days", "19"),
            ],
            env={"RECONCILER_NOW": at},
        )
        assert result.exit_code == 0, result.output
    return db


@pytest.fixture
def served(traffic_db: Path) -> Iterator[tuple[SqliteLedger, str]]:
    with SqliteLedger(traffic_db, clock=ManualClock(NOW)) as sandbox:
        app = create_app(sandbox, token=BILLING_TOKEN, read_token=READ_TOKEN)
        with serving(app) as url:
            yield sandbox, url


def _by_definition(ledger: SqliteLedger) -> dict[str, object]:
    """Carry and flows from every entry of each wallet (the rule in ``ledger.base``)."""
    wallets = {w.owner_id: w for w in ledger.list_wallets() if w.scope is Scope.TEAM}
    return {
        t: observation_from_entries(t, wallets[t], ledger.transactions(wallets[t].id), NOVEMBER)
        for t in TEAMS
    }


def test_embedded_carry_after_traffic_equals_the_whole_history_sum(
    served: tuple[SqliteLedger, str],
) -> None:
    sandbox, _url = served
    expected = _by_definition(sandbox)
    observed = sandbox.observe(TEAMS, NOVEMBER)
    assert observed == expected
    carries = {t: observed[t].carry for t in TEAMS}
    assert all(c > 0 for c in carries.values())
    assert all(carries[t] != observed[t].balance for t in TEAMS)  # spend since the start
    assert [f.note for f in observed["team_a"].flows] == ["november trim"]


def test_carry_over_http_equals_the_embedded_carry_and_reads_only_since_the_start(
    served: tuple[SqliteLedger, str],
) -> None:
    sandbox, url = served
    asked: list[httpx.URL] = []
    client = httpx.Client(
        base_url=url,
        headers={"Authorization": f"Bearer {READ_TOKEN}"},
        event_hooks={"request": [lambda request: asked.append(request.url)]},
    )
    with HttpLedger(client, page_size=5) as ledger:
        over_http = ledger.observe(TEAMS, NOVEMBER)
    assert over_http == sandbox.observe(TEAMS, NOVEMBER) == _by_definition(sandbox)
    reads = [parse_qs(u.query.decode()) for u in asked if u.path.endswith("/transactions")]
    assert len(reads) > len(TEAMS)  # several pages per team at 5 entries a page
    assert all(q["since"] == ["2026-11-01T00:00:00.000000Z"] for q in reads)


def test_a_wallet_that_moved_between_the_two_reads_is_read_whole() -> None:
    start = NOVEMBER.start

    def entry(at: datetime, kind: EntryType, amount: int, after: int) -> Transaction:
        return Transaction(f"txn_{after}", "wal_team_a", kind, amount, after, None, at)

    history = [
        entry(start - timedelta(days=3), EntryType.ALLOCATION_IN, 500, 500),
        entry(start + timedelta(days=1), EntryType.SETTLEMENT, -20, 480),
        entry(start + timedelta(days=2), EntryType.ALLOCATION_IN, 100, 580),  # after the list
    ]
    read = Wallet("wal_team_a", Scope.TEAM, "team_a", "A", "USD", 480, 0, 500, 20, HEALTHY)
    assert observation_since_start("team_a", read, history[1:], NOVEMBER) is None
    now = replace(read, balance=580)
    seen = observation_since_start("team_a", now, history[1:], NOVEMBER)
    assert seen == observation_from_entries("team_a", now, history, NOVEMBER)
    assert seen is not None
    assert seen.carry == 500


def test_settlements_over_http_are_the_embedded_ledgers_in_time_order(
    served: tuple[SqliteLedger, str],
) -> None:
    """The plan's forecast and ``usage`` read a window of every wallet's settlements: over HTTP
    one read per wallet and window (the API has no type filter), the same entries."""
    sandbox, url = served
    since, until = datetime(2026, 10, 10, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC)
    asked: list[httpx.URL] = []
    client = httpx.Client(
        base_url=url,
        headers={"Authorization": f"Bearer {READ_TOKEN}"},
        event_hooks={"request": [lambda request: asked.append(request.url)]},
    )
    with HttpLedger(client, page_size=7) as ledger:
        over_http = ledger.settlements(since=since, until=until)
    embedded = sandbox.settlements(since=since, until=until)
    assert len(embedded) > 100  # both months of traffic fall in the window
    assert sorted(over_http, key=lambda e: e.id) == sorted(embedded, key=lambda e: e.id)
    assert [e.created_at for e in over_http] == sorted(e.created_at for e in embedded)
    reads = [parse_qs(u.query.decode()) for u in asked if u.path.endswith("/transactions")]
    assert all(
        (q["since"], q["until"])
        == (["2026-10-10T00:00:00.000000Z"], ["2026-11-15T00:00:00.000000Z"])
        for q in reads
    )


def test_entries_out_of_time_order_are_not_trusted_for_the_carry() -> None:
    """A ledger whose clock stepped back lists a later movement first: the last entry's balance
    still matches the wallet, but the entries do not chain, so only the whole history counts."""
    start = NOVEMBER.start

    def entry(n: int, days: int, amount: int, after: int) -> Transaction:
        kind = EntryType.ALLOCATION_IN if amount > 0 else EntryType.ALLOCATION_OUT
        at = start + timedelta(days=days)
        return Transaction(f"txn_{n}", "wal_team_a", kind, amount, after, None, at)

    # written in this order: +1200 on the 15th, then -700 stamped the 2nd (listed first)
    listed = [entry(2, 1, -700, 500), entry(1, 14, 1200, 1200)]
    stale = Wallet("wal_team_a", Scope.TEAM, "team_a", "A", "USD", 1200, 0, 1200, 0, HEALTHY)
    assert observation_since_start("team_a", stale, listed, NOVEMBER) is None
    now = replace(stale, balance=500)
    assert observation_since_start("team_a", now, listed, NOVEMBER) is None


@pytest.fixture
def small(tmp_path: Path) -> Iterator[tuple[SqliteLedger, ManualClock, str]]:
    clock = ManualClock(datetime(2026, 11, 15, 12, tzinfo=UTC))
    with SqliteLedger.create(tmp_path / "l.db", "org_acme", clock=clock) as sandbox:
        sandbox.credit(usd("5000.00"), note="seed")
        sandbox.allocate("team_a", usd("1200.00"), note="november")
        app = create_app(sandbox, token=BILLING_TOKEN, read_token=READ_TOKEN)
        with serving(app) as url:
            yield sandbox, clock, url


def _moving_before_the_first_entries_read(
    sandbox: SqliteLedger, url: str, asked: list[httpx.URL]
) -> httpx.Client:
    """A client whose first read of entries lets a reclaim land just before it goes out, after
    the wallet list was read: the race of two applies over HTTP, made deterministic."""

    def hook(request: httpx.Request) -> None:
        asked.append(request.url)
        reads = [u for u in asked if u.path.endswith("/transactions")]
        if request.url.path.endswith("/transactions") and len(reads) == 1:
            sandbox.reclaim("team_a", usd("700.00"), note="another run")

    return httpx.Client(
        base_url=url,
        headers={"Authorization": f"Bearer {READ_TOKEN}"},
        event_hooks={"request": [hook]},
    )


def test_a_wallet_that_moved_after_the_list_is_read_again_after_its_entries(
    small: tuple[SqliteLedger, ManualClock, str],
) -> None:
    """The plan's amounts must not predate the flows it fingerprints (the executor trusts a flow
    the plan saw): one more balance read, not the whole history, when the entries chain."""
    sandbox, clock, url = small
    clock.set(datetime(2026, 11, 16, tzinfo=UTC))
    asked: list[httpx.URL] = []
    with HttpLedger(_moving_before_the_first_entries_read(sandbox, url, asked)) as ledger:
        seen = ledger.observe(["team_a"], NOVEMBER)["team_a"]
    assert seen == sandbox.observe(["team_a"], NOVEMBER)["team_a"]
    assert (seen.balance, seen.carry, len(seen.flows)) == (usd("500.00"), 0, 2)
    entries = [parse_qs(u.query.decode()) for u in asked if u.path.endswith("/transactions")]
    assert [q.get("since") for q in entries] == [["2026-11-01T00:00:00.000000Z"]]
    assert sum(u.path.endswith("/balance") for u in asked) == 1


def test_a_ledger_clock_that_stepped_back_is_read_whole_then_the_wallet_again(
    small: tuple[SqliteLedger, ManualClock, str],
) -> None:
    """The reclaim that lands during the read is stamped before the allocation it follows: the
    entries end at the listed balance, yet the plan sees the balance the reclaim left."""
    sandbox, clock, url = small
    clock.set(datetime(2026, 11, 2, 9, tzinfo=UTC))
    asked: list[httpx.URL] = []
    with HttpLedger(_moving_before_the_first_entries_read(sandbox, url, asked)) as ledger:
        seen = ledger.observe(["team_a"], NOVEMBER)["team_a"]
    assert seen == sandbox.observe(["team_a"], NOVEMBER)["team_a"]
    assert (seen.balance, seen.carry, sum(f.amount for f in seen.flows)) == (
        usd("500.00"),
        0,
        usd("500.00"),
    )
    entries = [parse_qs(u.query.decode()) for u in asked if u.path.endswith("/transactions")]
    assert [q.get("since") for q in entries] == [["2026-11-01T00:00:00.000000Z"], None]
