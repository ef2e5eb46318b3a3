"""The sandbox ledger's queries, each run on a connection inside the caller's read snapshot.

Entries are ordered by ``created_at`` then id (``seq``). A page cursor is the opaque
(created_at, seq) of the last entry returned, so pages never repeat or skip an entry.
"""

from __future__ import annotations

import base64
import binascii
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from reconciler.errors import LedgerNotFound, LedgerRequestInvalid
from reconciler.ledger.base import (
    ALLOCATION_TYPES,
    BALANCE_TYPES,
    CostTicket,
    EntryType,
    Scope,
    Settled,
    TeamObservation,
    Transaction,
    Wallet,
)
from reconciler.periods import Period
from reconciler.sandbox.rows import (
    ENTRY_COLUMNS,
    ENTRY_SELECT,
    SCOPE_OF,
    WALLET_COLUMNS,
    sql_types,
    total_credits,
    transaction_from_row,
    wallet_from_row,
)
from reconciler.sandbox.schema import format_timestamp, parse_timestamp
from reconciler.text import clip

MAX_PAGE = 1000
_ORDER = " ORDER BY e.created_at, e.seq"


def wallets(
    conn: sqlite3.Connection, where: str = "", params: Iterable[object] = ()
) -> list[Wallet]:
    """Wallets matching ``where``: organization first, then teams, then users, by owner id."""
    credits = total_credits(conn)
    rows = conn.execute(
        f"SELECT {WALLET_COLUMNS} FROM wallets{where} ORDER BY CASE scope"
        " WHEN 'organization' THEN 0 WHEN 'team' THEN 1 ELSE 2 END, owner_id",
        tuple(params),
    ).fetchall()
    return [wallet_from_row(row, credits) for row in rows]


def owned_wallet(conn: sqlite3.Connection, scope: Scope, owner_id: str) -> Wallet | None:
    found = wallets(conn, " WHERE scope = ? AND owner_id = ?", (scope.value, owner_id))
    return found[0] if found else None


def wallet_by_id(conn: sqlite3.Connection, wallet_id: str) -> Wallet:
    found = wallets(conn, " WHERE id = ?", (wallet_id,))
    if not found:
        raise LedgerNotFound(f"no wallet {wallet_id!r} in the sandbox ledger")
    return found[0]


def entry(conn: sqlite3.Connection, seq: int) -> Transaction:
    return transaction_from_row(conn.execute(f"{ENTRY_SELECT} WHERE e.seq = ?", (seq,)).fetchone())


def entries(
    conn: sqlite3.Connection,
    wallet_id: str | None,
    since: datetime | None,
    until: datetime | None,
    types: Iterable[EntryType] | None = None,
) -> list[Transaction]:
    """Entries of one wallet (every wallet when None) with since <= created_at < until, of
    ``types`` only when given."""
    where, params = window(since, until)
    if wallet_id is not None:
        wallet_by_id(conn, wallet_id)
        where, params = f"{where} AND e.wallet_id = ?", [*params, wallet_id]
    if types is not None:
        where = f"{where} AND e.type IN {sql_types(types)}"
    clause = f" WHERE {where[5:]}" if where else ""
    rows = conn.execute(f"{ENTRY_SELECT}{clause}{_ORDER}", params).fetchall()
    return [transaction_from_row(row) for row in rows]


def settled(conn: sqlite3.Connection, since: datetime, until: datetime) -> list[Settled]:
    """Every wallet's settlements with since <= created_at < until, in no particular order: one
    query that reads, wallet by wallet, one range of ``entries_by_wallet_type_time`` (not every
    entry of the ledger), and builds only the fields spend needs."""
    where, params = window(since, until)
    rows = conn.execute(
        "SELECT e.created_at, e.amount, w.scope, w.owner_id, r.team_id, r.consumer_group"
        " FROM wallets w CROSS JOIN entries e"
        f" ON e.wallet_id = w.id AND e.type = 'settlement'{where}"
        " LEFT JOIN reservations r ON r.id = e.reservation_id",
        params,
    ).fetchall()
    return [
        Settled(parse_timestamp(row[0]), int(row[1]), SCOPE_OF[row[2]], row[3], row[4], row[5])
        for row in rows
    ]


def page(
    conn: sqlite3.Connection,
    wallet_id: str,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Transaction], str | None]:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise LedgerRequestInvalid(f"limit must be between 1 and {MAX_PAGE}, got {limit!r}")
    where, params = window(since, until)
    if cursor is not None:
        after_time, after_seq = decode_cursor(cursor)
        where += " AND (e.created_at > ? OR (e.created_at = ? AND e.seq > ?))"
        params = [*params, after_time, after_time, after_seq]
    wallet_by_id(conn, wallet_id)
    rows = conn.execute(
        f"{ENTRY_SELECT} WHERE e.wallet_id = ?{where}{_ORDER} LIMIT ?",
        (wallet_id, *params, limit + 1),
    ).fetchall()
    shown = rows[:limit]
    more = len(rows) > limit
    next_cursor = encode_cursor(str(shown[-1][6]), int(shown[-1][0])) if more else None
    return [transaction_from_row(row) for row in shown], next_cursor


def observe(
    conn: sqlite3.Connection, team_ids: Iterable[str], period: Period
) -> dict[str, TeamObservation]:
    """Same results as ``base.observe_from_transactions``, reading only the period's entries.

    Three queries however many teams: the team wallets; for each, the balance effect of every
    entry since the period's start; and the allocation flows in the period. The last two read,
    wallet by wallet, one range of ``entries_by_wallet_type_time`` from the start. ``carry`` is
    the balance now minus that effect, which in this one snapshot is exactly the balance at the
    start however long the history.
    """
    start, end = format_timestamp(period.start), format_timestamp(period.end)
    by_owner = {w.owner_id: w for w in wallets(conn, " WHERE scope = 'team'")}
    since_start = dict(
        conn.execute(
            "SELECT w.id, (SELECT coalesce(sum(e.amount), 0) FROM entries e"
            f" WHERE e.wallet_id = w.id AND e.type IN {sql_types(BALANCE_TYPES)}"
            " AND e.created_at >= ?) FROM wallets w WHERE w.scope = 'team'",
            (start,),
        ).fetchall()
    )
    rows: dict[str, list[Any]] = defaultdict(list)
    for row in conn.execute(
        f"SELECT {ENTRY_COLUMNS} FROM wallets w CROSS JOIN entries e ON e.wallet_id = w.id"
        f" AND e.type IN {sql_types(ALLOCATION_TYPES)} AND e.created_at >= ? AND e.created_at < ?"
        " LEFT JOIN reservations r ON r.id = e.reservation_id WHERE w.scope = 'team'",
        (start, end),
    ):
        rows[row[1]].append(row)
    result: dict[str, TeamObservation] = {}
    for team_id in team_ids:
        wallet = by_owner.get(team_id)
        if wallet is None:
            result[team_id] = TeamObservation(team_id, None, (), 0)
            continue
        flows = sorted(rows.get(wallet.id, ()), key=_in_order)  # created_at, then seq
        result[team_id] = TeamObservation(
            team_id,
            wallet,
            tuple(transaction_from_row(row) for row in flows),
            wallet.balance - int(since_start[wallet.id]),
        )
    return result


def _in_order(row: Sequence[Any]) -> tuple[str, int]:
    """``_ORDER`` of an ``ENTRY_SELECT`` row (the stored timestamps are fixed-width text)."""
    return str(row[6]), int(row[0])


def window(since: datetime | None, until: datetime | None) -> tuple[str, list[object]]:
    """SQL conditions (each starting `` AND ``) for since <= created_at < until."""
    where, params = "", list[object]()
    for bound, what, op in ((since, "since", ">="), (until, "until", "<")):
        if bound is None:
            continue
        if not isinstance(bound, datetime) or bound.tzinfo is None:
            raise LedgerRequestInvalid(f"{what} must be a UTC-aware datetime, got {bound!r}")
        where += f" AND e.created_at {op} ?"
        params.append(format_timestamp(bound))
    return where, params


def encode_cursor(created_at: str, seq: int) -> str:
    return base64.urlsafe_b64encode(f"{created_at}|{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, _, seq = text.partition("|")
        if format_timestamp(parse_timestamp(created_at)) != created_at:
            raise ValueError(created_at)
        if not (seq.isascii() and seq.isdigit() and len(seq) <= 19 and int(seq) < 2**63):
            raise ValueError(seq)  # entry ids are SQLite integers: 0 <= seq < 2**63
        return created_at, int(seq)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise LedgerRequestInvalid(
            f"cursor {clip(cursor, 80)!r} is not one this ledger returned: start again without "
            "a cursor"
        ) from exc


def cost_tickets(
    conn: sqlite3.Connection, since: datetime | None, until: datetime | None
) -> list[CostTicket]:
    """Cost tickets with since <= created_at < until, oldest first."""
    where, params = window(since, until)
    clause = f" WHERE {where[5:]}" if where else ""
    rows = conn.execute(
        "SELECT request_id, user_id, team_id, consumer_group, estimated_cost, created_at"
        f" FROM cost_tickets e{clause} ORDER BY e.created_at, e.request_id",
        params,
    ).fetchall()
    return [CostTicket(r[0], r[1], r[2], r[3], int(r[4]), parse_timestamp(r[5])) for r in rows]
