"""Gateway holds on the sandbox ledger: reserve through the cascade, settle, expire.

Each function runs inside the caller's ``BEGIN IMMEDIATE`` transaction and raises before its
first write when it refuses. ``reservations`` rows track each hold's state (open, settled,
expired); the entries they write carry the request and reservation ids.
"""

from __future__ import annotations

import sqlite3

from reconciler.errors import (
    BudgetExceeded,
    InsufficientFunds,
    LedgerConflict,
    LedgerNotFound,
    LedgerRequestInvalid,
)
from reconciler.ledger.base import EntryType, Reservation, Scope
from reconciler.money import format_usd
from reconciler.sandbox.entries import Context, WalletState, append, find_wallet, org_wallet
from reconciler.sandbox.rows import reservation_id_for


def reserve(
    conn: sqlite3.Connection,
    request_id: str,
    estimate: int,
    *,
    user_id: str | None,
    team_id: str | None,
    attribution: tuple[str | None, str | None, str | None] = (None, None, None),
    expires_at: str,
    request: str,
    ctx: Context,
) -> Reservation:
    """Hold ``estimate`` on the first wallet of user -> team -> org whose available covers it.

    ``attribution`` is (user, team, consumer group) the request was for, stored with the hold
    so its settlement is attributed to the team whichever wallet paid.
    """
    existing = conn.execute(
        "SELECT r.id, r.wallet_id, w.scope, r.fingerprint FROM reservations r"
        " JOIN wallets w ON w.id = r.wallet_id WHERE r.request_id = ?",
        (request_id,),
    ).fetchone()
    if existing is not None:
        if existing[3] != request:
            raise LedgerConflict(
                f"request {request_id!r} already has reservation {existing[0]} with other "
                "parameters; use a new request id"
            )
        return Reservation(existing[0], existing[1], Scope(existing[2]))
    cascade: list[WalletState] = []
    for scope, owner in ((Scope.USER, user_id), (Scope.TEAM, team_id)):
        wallet = find_wallet(conn, scope, owner) if owner else None
        if wallet is not None:
            cascade.append(wallet)
    cascade.append(org_wallet(conn))
    chosen = next((w for w in cascade if w.available >= estimate), None)
    if chosen is None:
        tried = ", ".join(f"{w.label} has {format_usd(w.available)}" for w in cascade)
        raise BudgetExceeded(
            f"no wallet covers the estimated cost {format_usd(estimate)} of request "
            f"{request_id} ({tried} available): top up or allocate more"
        )
    # Reservations are never deleted, so the highest rowid is their count (an index lookup,
    # where count(*) scanned the whole table on every reserve).
    last = conn.execute("SELECT coalesce(max(rowid), 0) FROM reservations").fetchone()[0]
    reservation_id = reservation_id_for(int(last) + 1)
    conn.execute(
        "INSERT INTO reservations (id, request_id, wallet_id, amount, fingerprint, status,"
        " created_at, expires_at, user_id, team_id, consumer_group)"
        " VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?)",
        (
            reservation_id,
            request_id,
            chosen.id,
            estimate,
            request,
            ctx.now,
            expires_at,
            *attribution,
        ),
    )
    append(
        conn,
        chosen,
        EntryType.RESERVATION,
        -estimate,
        ctx,
        request_id=request_id,
        reservation_id=reservation_id,
    )
    return Reservation(reservation_id, chosen.id, chosen.scope)


def settle(conn: sqlite3.Connection, reservation_id: str, actual: int, ctx: Context) -> int:
    """Charge ``actual`` and release the rest of the hold; returns the settlement's seq.

    Actual above the hold: the overage is held first (a second ``reservation`` entry) when the
    wallet's available covers it, else InsufficientFunds and the hold stays open. Actual 0: no
    settlement entry (amounts are never 0); the whole hold is refunded and the refund returned.
    """
    row = conn.execute(
        "SELECT r.request_id, r.wallet_id, r.amount, r.status, r.actual_cost, r.closed_seq,"
        " r.expires_at FROM reservations r WHERE r.id = ?",
        (reservation_id,),
    ).fetchone()
    if row is None:
        raise LedgerNotFound(f"no reservation {reservation_id!r}")
    request_id, wallet_id, hold, status = row[0], row[1], int(row[2]), row[3]
    if status == "settled":
        if int(row[4]) == actual:
            return int(row[5])
        raise LedgerConflict(
            f"reservation {reservation_id} was already settled at {format_usd(int(row[4]))}; "
            f"cannot settle it again at {format_usd(actual)}"
        )
    if status == "expired":
        raise LedgerConflict(
            f"reservation {reservation_id} expired at {row[6]} and its hold of "
            f"{format_usd(hold)} was released; it cannot be settled"
        )
    wallet_row = conn.execute("SELECT scope, owner_id FROM wallets WHERE id = ?", (wallet_id,))
    scope, owner = wallet_row.fetchone()
    wallet = find_wallet(conn, Scope(scope), owner)
    assert wallet is not None
    refs = {"request_id": request_id, "reservation_id": reservation_id}
    if actual > hold:
        overage = actual - hold
        if wallet.available < overage:
            raise InsufficientFunds(
                f"{wallet.label} has {format_usd(wallet.available)} available; cannot settle "
                f"{format_usd(actual)} against the hold of {format_usd(hold)} of reservation "
                f"{reservation_id}"
            )
        append(conn, wallet, EntryType.RESERVATION, -overage, ctx, **refs)
    closed = 0
    if actual > 0:
        closed = append(conn, wallet, EntryType.SETTLEMENT, -actual, ctx, **refs)
    if hold > actual:
        refund = append(conn, wallet, EntryType.REFUND, hold - actual, ctx, **refs)
        closed = closed or refund
    conn.execute(
        "UPDATE reservations SET status = 'settled', actual_cost = ?, closed_seq = ? WHERE id = ?",
        (actual, closed, reservation_id),
    )
    return closed


def expire_due(conn: sqlite3.Connection, ctx: Context) -> int:
    """Release every open hold whose ``expires_at`` <= now as an ``expiry`` entry."""
    due = conn.execute(
        "SELECT r.id, r.request_id, r.amount, w.scope, w.owner_id FROM reservations r"
        " JOIN wallets w ON w.id = r.wallet_id"
        " WHERE r.status = 'open' AND r.expires_at <= ? ORDER BY r.expires_at, r.id",
        (ctx.now,),
    ).fetchall()
    for reservation_id, request_id, amount, scope, owner in due:
        wallet = find_wallet(conn, Scope(scope), owner)
        assert wallet is not None
        seq = append(
            conn,
            wallet,
            EntryType.EXPIRY,
            int(amount),
            ctx,
            request_id=request_id,
            reservation_id=reservation_id,
        )
        conn.execute(
            "UPDATE reservations SET status = 'expired', closed_seq = ? WHERE id = ?",
            (seq, reservation_id),
        )
    return len(due)


def queue_ticket(
    conn: sqlite3.Connection,
    ticket: tuple[str, str | None, str | None, str | None, int],
    ctx: Context,
) -> None:
    """Record a refused reserve (request, user, team, consumer group, estimate) as a cost ticket;
    the same request id again keeps the first ticket."""
    conn.execute(
        "INSERT OR IGNORE INTO cost_tickets (request_id, user_id, team_id, consumer_group,"
        " estimated_cost, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (*ticket, ctx.now),
    )


def listed_team(conn: sqlite3.Connection, group: str | None) -> str | None:
    """The team ``group`` maps to, whether or not wallet enforcement is on (attribution)."""
    if group is None:
        return None
    row = conn.execute(
        "SELECT team_id FROM consumer_groups WHERE consumer_group = ?", (group,)
    ).fetchone()
    return None if row is None else str(row[0])


def mapped_team(conn: sqlite3.Connection, group: str | None) -> str | None:
    """The team whose wallet ``group``'s requests draw on: only with wallet enforcement on."""
    if group is None:
        return None
    flag = conn.execute("SELECT value FROM meta WHERE key = 'wallet_enforcement'").fetchone()
    if not (flag and flag[0] == "1"):
        return None
    team = listed_team(conn, group)
    if team is None:
        raise LedgerRequestInvalid(
            f"consumer group {group!r} is not in the gateway configuration: add it to "
            "consumer_groups with a wallet_team_id"
        )
    return team
