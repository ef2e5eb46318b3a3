"""The benchmark organizations are honest ledgers: bulk-written spend is exactly what the
sandbox ledger itself writes for the same requests, the built ledger passes ``sandbox check``,
it holds the entries asked for, and every allocation carries a real reconciler note."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks import bulk
from benchmarks.orgs import make_org
from reconciler import notes
from reconciler.cli import cli
from reconciler.errors import BudgetExceeded
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.sqlite_ledger import ManualClock

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
MICROS = 1_000_000


def _funded(path: Path, clock: ManualClock) -> None:
    """An organization with 30.00 and two teams: team_a 10.00, team_b 1.00."""
    with SqliteLedger.create(path, "org_bench", clock=clock) as ledger:
        ledger.credit(30 * MICROS, note="seed")
        ledger.allocate("team_a", 10 * MICROS, note="a")
        ledger.allocate("team_b", 1 * MICROS, note="b")


def _requests() -> list[bulk.Request]:
    """team_a's own wallet pays; team_b's 1.00 cannot hold 2 x 0.75, so the org pays; the last
    request's hold (2 x 15.00) no wallet covers: a cost ticket."""
    costs = [("team_a", 2_000_000), ("team_b", 750_000), ("team_a", 3_000_000)]
    costs += [("team_b", 250_000), ("team_c", 15_000_000)]
    return [
        bulk.Request(f"req-{i}", team, START + timedelta(minutes=1 + i), cost)
        for i, (team, cost) in enumerate(costs)
    ]


def _tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    try:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("entries", "reservations", "wallets", "cost_tickets")
        }
    finally:
        conn.close()


def test_bulk_spend_is_row_for_row_what_reserve_and_settle_write(tmp_path: Path) -> None:
    clock = ManualClock(START)
    _funded(tmp_path / "real.db", clock)
    _funded(tmp_path / "bulk.db", clock)
    with SqliteLedger(tmp_path / "real.db", clock=clock) as ledger:
        for request in _requests():
            clock.set(request.at)
            try:
                hold = ledger.reserve(request.request_id, 2 * request.cost, team_id=request.team_id)
            except BudgetExceeded:
                continue
            clock.set(request.at + bulk.SETTLE_AFTER)
            ledger.settle(hold.reservation_id, request.cost)

    written = bulk.settle_all(tmp_path / "bulk.db", _requests())

    assert (written.settled, written.refused) == (4, 1)
    assert _tables(tmp_path / "bulk.db") == _tables(tmp_path / "real.db")


def test_a_built_organization_passes_the_sandbox_check_with_the_entries_asked_for(
    tmp_path: Path,
) -> None:
    teams, months, spends = 4, 3, 5
    org = make_org(tmp_path / "org", teams=teams, months=months, spends=spends, commits=2)

    checked = CliRunner().invoke(cli, ["sandbox", "check", "--db", str(org.db)])
    assert checked.exit_code == 0, checked.output
    conn = sqlite3.connect(org.db)
    counts = dict(conn.execute("SELECT type, count(*) FROM entries GROUP BY type").fetchall())
    notes_of_moves = [
        row[0] for row in conn.execute("SELECT note FROM entries WHERE type = 'allocation_in'")
    ]
    conn.close()
    requests = teams * spends * months
    assert counts["settlement"] == counts["reservation"] == counts["refund"] == requests
    assert counts["credit"] == 1
    moves = counts["allocation_in"] + counts.get("allocation_out", 0)
    assert moves == 2 * teams * months  # each team moved once a month, in pairs of entries
    assert org.entries == sum(counts.values())
    parsed = [notes.parse_note(note) for note in notes_of_moves]
    assert all(note is not None and note.team_id.startswith("team_") for note in parsed)


def test_a_build_is_reused_for_the_same_arguments_and_redone_for_others(tmp_path: Path) -> None:
    first = make_org(tmp_path / "org", teams=2, months=1, spends=1, commits=1)
    stamp = first.db.stat().st_mtime_ns
    again = make_org(tmp_path / "org", teams=2, months=1, spends=1, commits=1)
    assert (again.entries, again.db.stat().st_mtime_ns) == (first.entries, stamp)
    other = make_org(tmp_path / "org", teams=3, months=1, spends=1, commits=1)
    assert other.entries > first.entries


@pytest.mark.parametrize("spend_last", [True, False])
def test_the_current_month_has_spend_only_when_asked(tmp_path: Path, spend_last: bool) -> None:
    org = make_org(tmp_path / "org", teams=2, months=2, spends=1, commits=1, spend_last=spend_last)
    conn = sqlite3.connect(org.db)
    months = {row[0] for row in conn.execute("SELECT substr(created_at, 1, 7) FROM reservations")}
    conn.close()
    assert months == ({"2026-01", "2026-02"} if spend_last else {"2026-01"})
