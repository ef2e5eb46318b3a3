"""Observing 200 teams with 30 days of history: the SQL ``observe`` of the embedded ledger
against the protocol's default (``observe_from_transactions``), and the HTTP client against the
sandbox server on loopback. Compare the figures of one run as ratios; machines are noisy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from reconciler.ledger.base import observe_from_transactions
from reconciler.ledger.http import HttpLedger
from reconciler.periods import PeriodKind, period_at
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.sandbox_server import BILLING_TOKEN, running_server

TEAMS = 200
DAYS = 30
START = datetime(2026, 10, 15, tzinfo=UTC)
PERIOD = period_at(PeriodKind.MONTHLY, datetime(2026, 11, 10, tzinfo=UTC))
TEAM_IDS = [f"team_{i:03d}" for i in range(TEAMS)]


class _Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def ledger_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger with a daily allocation and a reserve/settle per team for 30 days."""
    path = tmp_path_factory.mktemp("bench") / "ledger.db"
    clock = _Clock()
    ledger = SqliteLedger.create(path, "org_bench", clock=clock)
    ledger.credit(10**15, note="seed")
    for day in range(DAYS):
        clock.now = START + timedelta(days=day)
        for team_id in TEAM_IDS:
            ledger.allocate(team_id, 10_000_000, note="daily")
            hold = ledger.reserve(f"{team_id}-{day}", 2_000_000, team_id=team_id)
            ledger.settle(hold.reservation_id, 1_234_567)
    ledger.close()
    return path


@pytest.fixture(scope="module")
def server_url(ledger_path: Path) -> Iterator[str]:
    with running_server(ledger_path, clock=lambda: START + timedelta(days=DAYS)) as url:
        yield url


def test_observe_sql(benchmark: BenchmarkFixture, ledger_path: Path) -> None:
    ledger = SqliteLedger(ledger_path)
    result = benchmark(ledger.observe, TEAM_IDS, PERIOD)
    assert len(result) == TEAMS
    ledger.close()


def test_observe_default_from_transactions(benchmark: BenchmarkFixture, ledger_path: Path) -> None:
    ledger = SqliteLedger(ledger_path)
    result = benchmark(observe_from_transactions, ledger, TEAM_IDS, PERIOD)
    assert result == ledger.observe(TEAM_IDS, PERIOD)
    ledger.close()


def test_observe_http(benchmark: BenchmarkFixture, server_url: str) -> None:
    ledger = HttpLedger.from_url(server_url, token=BILLING_TOKEN)
    result = benchmark.pedantic(ledger.observe, args=(TEAM_IDS, PERIOD), rounds=3)  # type: ignore[no-untyped-call]
    assert len(result) == TEAMS
    ledger.close()
