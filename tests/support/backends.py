"""Fixtures: one contract suite over two backends (SqliteLedger, HttpLedger -> real server)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reconciler.ledger.base import Ledger
from reconciler.ledger.http import HttpLedger
from reconciler.sandbox.ledger import SqliteLedger
from reconciler.sandbox.server import create_app
from tests.support.sandbox_server import BILLING_TOKEN, READ_TOKEN, serving

START = datetime(2026, 10, 30, 12, 0, tzinfo=UTC)


class FakeClock:
    """A settable clock shared by the test and the server thread."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Backend:
    """``ledger`` is what the contract tests use; ``sandbox`` is the SqliteLedger behind it."""

    name: str
    ledger: SqliteLedger | HttpLedger
    sandbox: SqliteLedger
    clock: FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(tmp_path: Path, clock: FakeClock) -> Iterator[SqliteLedger]:
    ledger = SqliteLedger.create(tmp_path / "sandbox.db", "org_acme", clock=clock)
    yield ledger
    ledger.close()


@pytest.fixture
def server_url(sandbox: SqliteLedger) -> Iterator[str]:
    app = create_app(sandbox, token=BILLING_TOKEN, read_token=READ_TOKEN)
    with serving(app) as url:
        yield url


@pytest.fixture(params=["sqlite", "http"])
def backend(
    request: pytest.FixtureRequest, sandbox: SqliteLedger, clock: FakeClock
) -> Iterator[Backend]:
    if request.param == "sqlite":
        yield Backend("sqlite", sandbox, sandbox, clock)
        return
    with serving(create_app(sandbox, token=BILLING_TOKEN, read_token=READ_TOKEN)) as url:
        client = HttpLedger.from_url(url, token=BILLING_TOKEN, timeout=10, page_size=7)
        try:
            assert isinstance(client, Ledger)
            yield Backend("http", client, sandbox, clock)
        finally:
            client.close()
