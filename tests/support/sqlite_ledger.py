"""Helpers for tests that need a real sandbox ledger: a controllable clock and a seeded ledger."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reconciler.money import to_micros
from reconciler.sandbox.ledger import SqliteLedger


class ManualClock:
    """A clock that stays put until a test moves it (thread-safe)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment


def usd(text: str) -> int:
    """Micro-USD from exact decimal text: ``usd("12.50") == 12_500_000``."""
    return to_micros(text)


def seeded_ledger(
    path: Path,
    *,
    org_id: str = "org_acme",
    credit: str = "10000.00",
    teams: dict[str, str] | None = None,
    clock: ManualClock | None = None,
) -> SqliteLedger:
    """A new ledger at ``path`` with ``credit`` in the org wallet and each team allocated."""
    ledger = SqliteLedger.create(path, org_id, clock=clock)
    if credit:
        ledger.credit(usd(credit), note="seed")
    for team_id, amount in (teams or {}).items():
        ledger.allocate(team_id, usd(amount), note="seed")
    return ledger
