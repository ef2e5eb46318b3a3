"""Movements (credit, allocate, reclaim), idempotency keys and the one entry writer.

``append`` is the only function that inserts an entry, and it updates the wallet's cached
columns in the same statement sequence, by the sign table of ``ledger/base.py``:

    type            balance   reserved   total_allocated (team/user | org)   total_spent
    credit          +a
    allocation_in   +a                   +a | -a
    allocation_out  +a (<0)              +a | -a
    reservation               -a (>0)
    settlement      +a (<0)   +a (<0)                                          -a
    refund/expiry             -a (<0)

A function raises before its first write when it refuses, so a refusal changes nothing (the
caller rolls back anyway).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import (
    InsufficientFunds,
    LedgerConfigError,
    LedgerConflict,
    LedgerNotFound,
    LedgerRequestInvalid,
    LedgerUnavailable,
)
from reconciler.ledger.base import EntryType, Scope
from reconciler.money import format_usd
from reconciler.sandbox.rows import (
    MAX_TOTAL_CREDITS,
    total_credits,
    wallet_id_for,
)
from reconciler.sandbox.schema import connect, migrate


@dataclass(frozen=True, slots=True)
class Context:
    """When and by whom: the timestamp text of this transaction and the acting principal."""

    now: str
    actor: str


Write = Callable[[sqlite3.Connection, Context], int]
"""A movement run inside a write transaction; returns the seq of the entry it answers with."""


@dataclass(frozen=True, slots=True)
class WalletState:
    id: str
    scope: Scope
    owner_id: str
    balance: int
    reserved: int

    @property
    def available(self) -> int:
        return self.balance - self.reserved

    @property
    def label(self) -> str:
        return "organization wallet" if self.scope is Scope.ORGANIZATION else self.owner_id


def find_wallet(conn: sqlite3.Connection, scope: Scope, owner_id: str) -> WalletState | None:
    row = conn.execute(
        "SELECT id, scope, owner_id, balance, reserved FROM wallets"
        " WHERE scope = ? AND owner_id = ?",
        (scope.value, owner_id),
    ).fetchone()
    if row is None:
        return None
    return WalletState(row[0], Scope(row[1]), row[2], int(row[3]), int(row[4]))


def org_wallet(conn: sqlite3.Connection) -> WalletState:
    row = conn.execute(
        "SELECT id, scope, owner_id, balance, reserved FROM wallets WHERE scope = 'organization'"
    ).fetchone()
    return WalletState(row[0], Scope(row[1]), row[2], int(row[3]), int(row[4]))


def ensure_wallet(
    conn: sqlite3.Connection, scope: Scope, owner_id: str, ctx: Context
) -> WalletState:
    wallet = find_wallet(conn, scope, owner_id)
    if wallet is not None:
        return wallet
    wallet_id = wallet_id_for(scope, owner_id)
    conn.execute(
        "INSERT INTO wallets (id, scope, owner_id, name, created_at) VALUES (?, ?, ?, ?, ?)",
        (wallet_id, scope.value, owner_id, owner_id, ctx.now),
    )
    return WalletState(wallet_id, scope, owner_id, 0, 0)


def append(
    conn: sqlite3.Connection,
    wallet: WalletState,
    kind: EntryType,
    amount: int,
    ctx: Context,
    *,
    note: str | None = None,
    seq: int | None = None,
    pair_seq: int | None = None,
    request_id: str | None = None,
    reservation_id: str | None = None,
) -> int:
    """Insert one entry and update its wallet's cached columns; returns the entry's seq."""
    balance = reserved = allocated = spent = 0
    if kind in (EntryType.CREDIT, EntryType.ALLOCATION_IN, EntryType.ALLOCATION_OUT):
        balance = amount
    if kind in (EntryType.ALLOCATION_IN, EntryType.ALLOCATION_OUT):
        allocated = -amount if wallet.scope is Scope.ORGANIZATION else amount
    if kind is EntryType.SETTLEMENT:
        balance, reserved, spent = amount, amount, -amount
    if kind in (EntryType.RESERVATION, EntryType.REFUND, EntryType.EXPIRY):
        reserved = -amount
    row = conn.execute(
        "UPDATE wallets SET balance = balance + ?, reserved = reserved + ?,"
        " total_allocated = total_allocated + ?, total_spent = total_spent + ?"
        " WHERE id = ? RETURNING balance",
        (balance, reserved, allocated, spent, wallet.id),
    ).fetchone()
    cursor = conn.execute(
        "INSERT INTO entries (seq, wallet_id, type, amount, balance_after, note, created_at,"
        " actor, request_id, reservation_id, pair_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            seq,
            wallet.id,
            kind.value,
            amount,
            int(row[0]),
            note,
            ctx.now,
            ctx.actor,
            request_id,
            reservation_id,
            pair_seq,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def initialize(path: Path, org_id: str, now: str, actor: str) -> None:
    """Create or migrate the schema and the organization wallet of ``org_id``.

    Refuses a file that is already another organization's ledger.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LedgerConfigError(f"cannot create {path.parent}: {exc.strerror}") from exc
    conn = connect(path)
    try:
        migrate(conn, path, now)
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute("SELECT value FROM meta WHERE key = 'org_id'").fetchone()
        if row is None:
            conn.execute("INSERT INTO meta (key, value) VALUES ('org_id', ?)", (org_id,))
            ensure_wallet(conn, Scope.ORGANIZATION, org_id, Context(now, actor))
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise LedgerUnavailable(f"cannot create sandbox ledger {path}: {exc}") from exc
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()
    if row is not None and row[0] != org_id:
        raise LedgerConfigError(
            f"{path} is already the sandbox ledger of {row[0]}, not {org_id}: "
            "pick another --db path"
        )


# -- idempotency ------------------------------------------------------------------------------


def fingerprint(operation: str, **fields: object) -> str:
    return json.dumps({"operation": operation, **fields}, sort_keys=True, separators=(",", ":"))


def replayed(conn: sqlite3.Connection, key: str | None, request: str) -> int | None:
    """The entry seq a key already produced for the same request; LedgerConflict if another."""
    if key is None:
        return None
    row = conn.execute(
        "SELECT fingerprint, entry_seq FROM idempotency_keys WHERE key = ?", (key,)
    ).fetchone()
    if row is None:
        return None
    if row[0] != request:
        raise LedgerConflict(
            f"idempotency key {key!r} was already used for a different request "
            f"({_describe(row[0])}); send a new key for a new request"
        )
    return int(row[1])


def remember(conn: sqlite3.Connection, key: str | None, request: str, seq: int, now: str) -> None:
    if key is not None:
        conn.execute(
            "INSERT INTO idempotency_keys (key, fingerprint, entry_seq, created_at)"
            " VALUES (?, ?, ?, ?)",
            (key, request, seq, now),
        )


def _describe(request: str) -> str:
    fields = json.loads(request)
    operation = str(fields["operation"])
    text = f"{operation} {format_usd(int(fields['amount']))}"
    if "owner" in fields:
        direction = "from" if operation == "reclaim" else "to"
        text += f" {direction} {fields['scope']} {fields['owner']}"
    return text


# -- movements --------------------------------------------------------------------------------


def credit(conn: sqlite3.Connection, amount: int, note: str, ctx: Context) -> int:
    credits = total_credits(conn)
    if credits + amount > MAX_TOTAL_CREDITS:
        raise LedgerRequestInvalid(
            f"credit of {format_usd(amount)} would take the sandbox's total credits over "
            f"{format_usd(MAX_TOTAL_CREDITS)}"
        )
    return append(conn, org_wallet(conn), EntryType.CREDIT, amount, ctx, note=note)


def allocate(
    conn: sqlite3.Connection, scope: Scope, owner_id: str, amount: int, note: str, ctx: Context
) -> int:
    """Org -> team/user; returns the seq of the receiving wallet's allocation_in."""
    org = org_wallet(conn)
    if org.available < amount:
        raise InsufficientFunds(
            f"organization wallet has {format_usd(org.available)} available; "
            f"cannot allocate {format_usd(amount)} to {owner_id}"
        )
    target = ensure_wallet(conn, scope, owner_id, ctx)
    return _pair(conn, source=org, target=target, amount=amount, note=note, ctx=ctx)[1]


def reclaim(
    conn: sqlite3.Connection, scope: Scope, owner_id: str, amount: int, note: str, ctx: Context
) -> int:
    """Team/user -> org; returns the seq of the source wallet's allocation_out."""
    source = find_wallet(conn, scope, owner_id)
    if source is None:
        raise LedgerNotFound(f"{scope.value} {owner_id} has no wallet: nothing to reclaim")
    if source.available < amount:
        raise InsufficientFunds(
            f"{owner_id} has {format_usd(source.available)} available; "
            f"cannot reclaim {format_usd(amount)}"
        )
    org = org_wallet(conn)
    return _pair(conn, source=source, target=org, amount=amount, note=note, ctx=ctx)[0]


def _pair(
    conn: sqlite3.Connection,
    *,
    source: WalletState,
    target: WalletState,
    amount: int,
    note: str,
    ctx: Context,
) -> tuple[int, int]:
    """allocation_out on ``source`` then allocation_in on ``target``: their seqs."""
    last = conn.execute("SELECT coalesce(max(seq), 0) FROM entries").fetchone()[0]
    out_seq, in_seq = int(last) + 1, int(last) + 2
    append(
        conn,
        source,
        EntryType.ALLOCATION_OUT,
        -amount,
        ctx,
        note=note,
        seq=out_seq,
        pair_seq=in_seq,
    )
    append(
        conn, target, EntryType.ALLOCATION_IN, amount, ctx, note=note, seq=in_seq, pair_seq=out_seq
    )
    return out_seq, in_seq
