"""10,000 simulated gateway requests (reserve + settle each) on a fresh sandbox ledger, one
worker and four; then usage over the result. Reserve used to count every reservation on each
call (quadratic over a run)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from reconciler.sandbox import traffic
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.sqlite_ledger import seeded_ledger

START = datetime(2026, 11, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
GROUPS = {f"group_{i}": f"team_{i}" for i in range(6)}


def _fresh(directory: Path, name: str) -> str:
    path = directory / name
    ledger = seeded_ledger(
        path, credit="900000.00", teams={team: "100000.00" for team in GROUPS.values()}
    )
    ledger.configure_gateway(GROUPS, True)
    ledger.close()
    return str(path)


@pytest.mark.parametrize("concurrency", [1, 4])
def test_10000_requests(benchmark: BenchmarkFixture, tmp_path: Path, concurrency: int) -> None:
    requests = traffic.simulate(list(GROUPS), requests=10_000, seed=1, start=START, end=NOW)
    counter = iter(range(1000))
    result = benchmark.pedantic(  # type: ignore[no-untyped-call]
        lambda: traffic.run(
            _fresh(tmp_path, f"l{next(counter)}.db"), requests, now=NOW, concurrency=concurrency
        ),
        rounds=1,
        iterations=1,
    )
    assert result.requests == 10_000
    with SqliteLedger(next(tmp_path.glob("l0.db"))) as ledger:
        assert ledger.check() == []
