"""The last applied commit is the newest reconciler note, found without reading the
organization wallet's whole history: newest window first, however old the note is."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from reconciler.history import last_applied_commit, newest_note_commit
from reconciler.ledger.base import Ledger, Observed, Transaction
from reconciler.ledger.http import HttpLedger
from reconciler.notes import Note, format_note, parse_note
from reconciler.sandbox.ledger import SqliteLedger
from reconciler.sandbox.server import create_app
from tests.support.sandbox_server import READ_TOKEN, serving
from tests.support.sqlite_ledger import ManualClock, usd

JANUARY = datetime(2026, 1, 5, 9, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
OLD, NEWER = "a" * 40, "b" * 40


def _note(commit: str, team: str = "team_a") -> str:
    return format_note(Note(commit, "0123456789ab", "0" * 16, team, "2026-01"))


def _whole_history(ledger: Ledger, wallet_id: str) -> str | None:
    """The definition: the newest note among every entry of the wallet."""
    newest: tuple[datetime, str] | None = None
    for entry in ledger.transactions(wallet_id):
        note = parse_note(entry.note)
        if note is not None and (newest is None or entry.created_at >= newest[0]):
            newest = (entry.created_at, note.commit)
    return newest[1] if newest else None


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(JANUARY)


@pytest.fixture
def sandbox(tmp_path: Path, clock: ManualClock) -> Iterator[SqliteLedger]:
    with SqliteLedger.create(tmp_path / "l.db", "org_acme", clock=clock) as ledger:
        ledger.credit(usd("100000.00"), note="seed")
        yield ledger


def _months_of_manual_movements(ledger: SqliteLedger, clock: ManualClock, months: int) -> None:
    for month in range(months):
        clock.set(JANUARY + timedelta(days=30 * (month + 1)))
        ledger.credit(usd("10.00"), note=f"top-up {month}")
        ledger.allocate("team_b", usd("1.00"), note="console")


def _reads(asked: list[httpx.URL]) -> list[dict[str, list[str]]]:
    return [parse_qs(u.query.decode()) for u in asked if u.path.endswith("/transactions")]


def test_a_note_ten_months_old_is_found_reading_windows_newest_first(
    sandbox: SqliteLedger, clock: ManualClock
) -> None:
    sandbox.allocate("team_a", usd("50.00"), note=_note(OLD))
    sandbox.allocate("team_a", usd("5.00"), note=_note(NEWER))  # same instant: later wins
    _months_of_manual_movements(sandbox, clock, 10)
    org = sandbox.organization_wallet()
    assert newest_note_commit(sandbox, org.id, NOW) == NEWER == _whole_history(sandbox, org.id)
    observed = Observed(org, (), {})
    assert last_applied_commit(sandbox, observed, NOW) == NEWER

    asked: list[httpx.URL] = []
    app = create_app(sandbox, token=None, read_token=READ_TOKEN)
    with serving(app) as url:
        client = httpx.Client(
            base_url=url,
            headers={"Authorization": f"Bearer {READ_TOKEN}"},
            event_hooks={"request": [lambda request: asked.append(request.url)]},
        )
        with HttpLedger(client) as ledger:
            assert newest_note_commit(ledger, org.id, NOW) == NEWER
    reads = _reads(asked)
    windows = [(q["since"][0][:10], q.get("until", ["-"])[0][:10]) for q in reads if "since" in q]
    assert windows[:3] == [
        ("2026-10-19", "-"),
        ("2026-08-16", "2026-10-19"),  # then the 64 days before that
        ("2026-04-10", "2026-08-16"),  # then 128
    ]
    assert all("since" in q or q["limit"] == ["1"] for q in reads)  # "anything older?"


def test_last_month_s_apply_is_found_in_the_first_window_alone(
    sandbox: SqliteLedger, clock: ManualClock
) -> None:
    _months_of_manual_movements(sandbox, clock, 9)
    clock.set(datetime(2026, 11, 1, 1, tzinfo=UTC))
    sandbox.allocate("team_a", usd("50.00"), note=_note(NEWER))
    org = sandbox.organization_wallet()
    seen: list[tuple[datetime | None, datetime | None]] = []

    class Counting(SqliteLedger):
        def transactions(
            self, wallet_id: str, *, since: datetime | None = None, until: datetime | None = None
        ) -> Iterator[Transaction]:
            seen.append((since, until))
            return super().transactions(wallet_id, since=since, until=until)

    with Counting(sandbox.path, clock=clock) as counting:
        december = datetime(2026, 12, 2, tzinfo=UTC)
        assert newest_note_commit(counting, org.id, december) == NEWER
    assert seen == [(december - timedelta(days=32), None)]


def test_no_note_at_all_reads_back_to_the_first_entry_and_finds_none(
    sandbox: SqliteLedger, clock: ManualClock
) -> None:
    _months_of_manual_movements(sandbox, clock, 4)
    org = sandbox.organization_wallet()
    assert newest_note_commit(sandbox, org.id, NOW) is None
    assert newest_note_commit(sandbox, org.id, datetime(9999, 1, 1, tzinfo=UTC)) is None
