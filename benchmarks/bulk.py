"""Settled gateway spend written in bulk, in the sandbox ledger's own schema.

``settle_all(db, requests)`` writes what ``SqliteLedger.reserve(request_id, 2 * cost,
team_id=team)`` followed by ``settle(reservation_id, cost)`` writes for each request, in one
transaction instead of two per request: the cascade (the team wallet when its available covers
the hold, else the organization wallet, else a cost ticket as a 402 would queue), the
``reservations`` row with who it was for and its fingerprint, the ``reservation``,
``settlement`` and ``refund`` entries with their running ``balance_after``, and the wallets'
cached ``balance`` and ``total_spent``. Reserve happens at the request's instant, settle one
millisecond later (the hold expires 300 s after the reserve, as the ledger's default).

Nothing is made up: ids follow ``sandbox.rows``, the fingerprint is ``sandbox.entries``', and
the organization builder runs ``sandbox check`` on the result and fails when any invariant
breaks. It is a benchmark tool, not a ledger write path: the ledger itself stays the only
writer the product uses.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from reconciler.ledger.base import Scope
from reconciler.sandbox.entries import fingerprint
from reconciler.sandbox.rows import reservation_id_for, wallet_id_for
from reconciler.sandbox.schema import connect, format_timestamp

ACTOR = "sandbox"  # SqliteLedger's default actor
TIMEOUT_SECONDS = 300  # SqliteLedger.reserve's default
SETTLE_AFTER = timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class Request:
    request_id: str
    team_id: str
    at: datetime
    cost: int  # micros, > 0; the hold is twice the cost


@dataclass(frozen=True, slots=True)
class Written:
    settled: int
    refused: int  # cost tickets: no wallet covered the hold
    last: datetime  # the instant of the last write


class _Wallets:
    """Balances and reserved of every wallet, read once, updated as the rows are made."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        rows = conn.execute("SELECT id, scope, balance, reserved FROM wallets").fetchall()
        self.balance = {str(r[0]): int(r[2]) for r in rows}
        self.reserved = {str(r[0]): int(r[3]) for r in rows}
        self.org = next(str(r[0]) for r in rows if r[1] == Scope.ORGANIZATION.value)
        self.spent: dict[str, int] = {}

    def payer(self, team_id: str, hold: int) -> str | None:
        """The first of team -> org whose available covers ``hold`` (SqliteLedger's cascade)."""
        team = wallet_id_for(Scope.TEAM, team_id)
        for wallet in (team, self.org):
            if wallet in self.balance and self.balance[wallet] - self.reserved[wallet] >= hold:
                return wallet
        return None


def settle_all(db: Path, requests: Iterable[Request]) -> Written:
    """Reserve and settle each request (in the order given, which must be time order)."""
    conn = connect(db)
    try:
        conn.execute("BEGIN IMMEDIATE")
        wallets = _Wallets(conn)
        seq = int(conn.execute("SELECT coalesce(max(seq), 0) FROM entries").fetchone()[0])
        held = int(conn.execute("SELECT coalesce(max(rowid), 0) FROM reservations").fetchone()[0])
        entries: list[tuple[object, ...]] = []
        holds: list[tuple[object, ...]] = []
        tickets: list[tuple[object, ...]] = []
        last: datetime | None = None
        for request in requests:
            hold = 2 * request.cost
            reserved_at = format_timestamp(request.at)
            last = request.at + SETTLE_AFTER
            wallet = wallets.payer(request.team_id, hold)
            if wallet is None:
                tickets.append((request.request_id, None, request.team_id, None, hold, reserved_at))
                continue
            held += 1
            reservation = reservation_id_for(held)
            settled_at = format_timestamp(last)
            balance = wallets.balance[wallet]
            after = balance - request.cost
            refs = (request.request_id, reservation)
            entries += [
                (seq + 1, wallet, "reservation", -hold, balance, reserved_at, *refs),
                (seq + 2, wallet, "settlement", -request.cost, after, settled_at, *refs),
                (seq + 3, wallet, "refund", hold - request.cost, after, settled_at, *refs),
            ]
            request_text = fingerprint(
                "reserve",
                amount=hold,
                user=None,
                team=request.team_id,
                group=None,
                timeout=TIMEOUT_SECONDS,
            )
            expires = format_timestamp(request.at + timedelta(seconds=TIMEOUT_SECONDS))
            holds.append(
                (
                    reservation,
                    request.request_id,
                    wallet,
                    hold,
                    request_text,
                    reserved_at,
                    expires,
                    request.cost,
                    seq + 2,
                    request.team_id,
                )
            )
            seq += 3
            wallets.balance[wallet] = after
            wallets.spent[wallet] = wallets.spent.get(wallet, 0) + request.cost
        _write(conn, wallets, entries, holds, tickets)
        conn.execute("COMMIT")
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()
    if last is None:
        raise ValueError("no requests to settle")
    return Written(len(holds), len(tickets), last)


def _write(
    conn: sqlite3.Connection,
    wallets: _Wallets,
    entries: list[tuple[object, ...]],
    holds: list[tuple[object, ...]],
    tickets: list[tuple[object, ...]],
) -> None:
    conn.executemany(
        "INSERT INTO entries (seq, wallet_id, type, amount, balance_after, note, created_at,"
        f" actor, request_id, reservation_id, pair_seq) VALUES (?, ?, ?, ?, ?, NULL, ?,"
        f" '{ACTOR}', ?, ?, NULL)",
        entries,
    )
    conn.executemany(  # after the entries: closed_seq refers to the settlement
        "INSERT INTO reservations (id, request_id, wallet_id, amount, fingerprint, status,"
        " created_at, expires_at, actual_cost, closed_seq, user_id, team_id, consumer_group)"
        " VALUES (?, ?, ?, ?, ?, 'settled', ?, ?, ?, ?, NULL, ?, NULL)",
        holds,
    )
    conn.executemany(
        "INSERT OR IGNORE INTO cost_tickets (request_id, user_id, team_id, consumer_group,"
        " estimated_cost, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        tickets,
    )
    conn.executemany(
        "UPDATE wallets SET balance = balance - ?, total_spent = total_spent + ? WHERE id = ?",
        [(spent, spent, wallet) for wallet, spent in wallets.spent.items()],
    )
