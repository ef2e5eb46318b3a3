"""A real sandbox server over a real SQLite ledger, as the ``served`` fixture."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox.ledger import SqliteLedger
from tests.support.clocks import TickingClock
from tests.support.sandbox_server import BILLING_TOKEN, running_server
from tests.support.workspace import NOW_AT


@dataclass
class Served:
    """A real sandbox server on 127.0.0.1 over a real SQLite ledger (credited 1,000,000.00)."""

    url: str
    db: Path
    http: httpx.Client

    def post(self, path: str, body: str | bytes, **headers: str) -> httpx.Response:
        return self.http.post(
            path,
            content=body,
            headers={
                "Authorization": f"Bearer {BILLING_TOKEN}",
                "Content-Type": "application/json",
                **headers,
            },
        )

    def entries(self) -> int:
        with SqliteLedger(self.db, clock=TickingClock(NOW_AT)) as ledger:
            return ledger.entry_count()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    db = tmp_path / "served.db"
    clock = TickingClock(NOW_AT)
    with SqliteLedger.create(db, "org_acme", clock=clock) as ledger:
        ledger.credit(1_000_000_000_000, note="seed")
    with running_server(db, clock=clock) as url, httpx.Client(base_url=url, timeout=10) as http:
        yield Served(url, db, http)


def envelope(response: httpx.Response) -> tuple[int, str, str]:
    """(status, error code, message) of an error answer."""
    error = json.loads(response.content)["error"]
    return response.status_code, error["code"], error["message"]
