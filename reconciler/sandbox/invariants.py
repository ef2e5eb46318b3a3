"""Invariant checks of the sandbox ledger: every cached number re-derived from the entries.

``violations(conn)`` returns one line per broken invariant (DESIGN §2), empty when sound:

- Σ credits = Σ wallet balances + Σ settled spend (nothing but a credit creates money);
- each wallet's balance = Σ of its balance-affecting entries, and each entry's balance_after is
  the running balance; total_allocated and total_spent match their entries;
- each wallet's reserved = Σ of its open holds, and every reservation's entries net to its hold
  when open, to zero when settled or expired;
- no wallet has negative available (balance - reserved) or negative reserved;
- every allocation entry has its partner: opposite type and amount, one side the organization
  wallet, same note, actor and time;
- entry signs match their types, and the append-only triggers are in place.
"""

from __future__ import annotations

import sqlite3

from reconciler.ledger.base import ALLOCATION_TYPES, BALANCE_TYPES
from reconciler.money import format_usd
from reconciler.sandbox.rows import sql_types


def _balance(e: str = "") -> str:
    """SQL: how an entry moves its wallet's balance."""
    return f"CASE WHEN {e}type IN {sql_types(BALANCE_TYPES)} THEN {e}amount ELSE 0 END"


def _hold(e: str = "") -> str:
    """SQL: how an entry moves its wallet's reserved."""
    return (
        f"CASE WHEN {e}type = 'settlement' THEN {e}amount"
        f" WHEN {e}type IN ('reservation', 'refund', 'expiry') THEN -{e}amount ELSE 0 END"
    )


_TRIGGERS = ("entries_are_append_only_update", "entries_are_append_only_delete")


def violations(conn: sqlite3.Connection) -> list[str]:
    found: list[str] = []
    found += _conservation(conn)
    found += _wallets(conn)
    found += _running_balances(conn)
    found += _reservations(conn)
    found += _pairs(conn)
    found += _structure(conn)
    return found


def _conservation(conn: sqlite3.Connection) -> list[str]:
    credits, spent = conn.execute(
        "SELECT coalesce(sum(CASE WHEN type = 'credit' THEN amount END), 0),"
        " coalesce(-sum(CASE WHEN type = 'settlement' THEN amount END), 0) FROM entries"
    ).fetchone()
    balances = conn.execute("SELECT coalesce(sum(balance), 0) FROM wallets").fetchone()[0]
    if credits != balances + spent:
        return [
            f"conservation: credits {format_usd(credits)} != wallet balances "
            f"{format_usd(balances)} + settled spend {format_usd(spent)}"
        ]
    return []


def _wallets(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT w.id, w.scope, w.balance, w.reserved, w.total_allocated, w.total_spent,"
        f" coalesce(sum({_balance('e.')}), 0),"
        f" coalesce(sum({_hold('e.')}), 0),"
        f" coalesce(sum(CASE WHEN e.type IN {sql_types(ALLOCATION_TYPES)}"
        "   THEN e.amount END), 0),"
        " coalesce(-sum(CASE WHEN e.type = 'settlement' THEN e.amount END), 0),"
        " (SELECT coalesce(sum(r.amount), 0) FROM reservations r"
        "   WHERE r.wallet_id = w.id AND r.status = 'open')"
        " FROM wallets w LEFT JOIN entries e ON e.wallet_id = w.id GROUP BY w.id ORDER BY w.id"
    ).fetchall()
    found: list[str] = []
    for (
        wid,
        scope,
        balance,
        reserved,
        allocated,
        spent,
        e_bal,
        e_hold,
        e_alloc,
        e_spent,
        held,
    ) in rows:
        if scope == "organization":
            e_alloc = -e_alloc
        for what, cached, derived in (
            ("balance", balance, e_bal),
            ("reserved", reserved, e_hold),
            ("total_allocated", allocated, e_alloc),
            ("total_spent", spent, e_spent),
        ):
            if cached != derived:
                found.append(
                    f"{wid}: {what} {format_usd(cached)} != {format_usd(derived)} from its entries"
                )
        if reserved != held:
            found.append(f"{wid}: reserved {format_usd(reserved)} != open holds {format_usd(held)}")
        if reserved < 0:
            found.append(f"{wid}: negative reserved {format_usd(reserved)}")
        if balance - reserved < 0:
            found.append(f"{wid}: negative available {format_usd(balance - reserved)}")
    return found


def _running_balances(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT seq, wallet_id, balance_after, running FROM ("
        f" SELECT seq, wallet_id, balance_after, sum({_balance()})"
        "  OVER (PARTITION BY wallet_id ORDER BY seq) AS running FROM entries)"
        " WHERE balance_after <> running ORDER BY seq"
    ).fetchall()
    return [
        f"entry {seq} of {wid}: balance_after {format_usd(after)} != running balance "
        f"{format_usd(running)}"
        for seq, wid, after, running in rows
    ]


def _reservations(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT r.id, r.status, r.amount, r.closed_seq, coalesce(h.held, 0),"
        " coalesce(h.elsewhere, 0) FROM reservations r LEFT JOIN ("
        f"  SELECT e.reservation_id AS id, sum({_hold('e.')}) AS held,"
        "   sum(e.wallet_id <> o.wallet_id) AS elsewhere"
        "  FROM entries e JOIN reservations o ON o.id = e.reservation_id"
        "  GROUP BY e.reservation_id) h ON h.id = r.id ORDER BY r.id"
    ).fetchall()
    found: list[str] = []
    for rid, status, amount, closed_seq, held, elsewhere in rows:
        expected = amount if status == "open" else 0
        if held != expected:
            found.append(
                f"reservation {rid} ({status}): its entries hold {format_usd(held)}, "
                f"expected {format_usd(expected)}"
            )
        if (status == "open") != (closed_seq is None):
            found.append(f"reservation {rid} is {status} but closed_seq is {closed_seq}")
        if elsewhere:
            found.append(f"reservation {rid} has {elsewhere} entries on another wallet")
    return found


def _pairs(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT a.seq, a.type, a.pair_seq, b.seq, b.type, b.pair_seq,"
        " a.amount + coalesce(b.amount, 0),"
        " (wa.scope = 'organization') + coalesce(wb.scope = 'organization', 0),"
        " a.note IS b.note AND a.actor IS b.actor AND a.created_at IS b.created_at"
        " FROM entries a JOIN wallets wa ON wa.id = a.wallet_id"
        " LEFT JOIN entries b ON b.seq = a.pair_seq"
        " LEFT JOIN wallets wb ON wb.id = b.wallet_id"
        f" WHERE a.type IN {sql_types(ALLOCATION_TYPES)} ORDER BY a.seq"
    ).fetchall()
    found: list[str] = []
    for seq, kind, pair_seq, other, other_kind, back, net, org_sides, same in rows:
        if other is None:
            found.append(f"entry {seq} ({kind}): its partner entry {pair_seq} is missing")
            continue
        if back != seq or {kind, other_kind} != {"allocation_in", "allocation_out"}:
            found.append(f"entry {seq} ({kind}) and entry {other} ({other_kind}) do not pair")
        elif net != 0:
            found.append(f"entry {seq} and its partner {other} do not net to zero")
        elif org_sides != 1:
            found.append(f"entry {seq} and its partner {other}: not an org <-> wallet movement")
        elif not same:
            found.append(f"entry {seq} and its partner {other} differ in note, actor or time")
    return found


def _structure(conn: sqlite3.Connection) -> list[str]:
    found: list[str] = []
    bad_signs = conn.execute(
        "SELECT count(*) FROM entries WHERE CASE WHEN type IN"
        " ('credit', 'allocation_in', 'refund', 'expiry') THEN amount <= 0 ELSE amount >= 0 END"
    ).fetchone()[0]
    if bad_signs:
        found.append(f"{bad_signs} entries have an amount of the wrong sign for their type")
    present = {
        row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }
    for trigger in _TRIGGERS:
        if trigger not in present:
            found.append(f"trigger {trigger} is missing: entries are no longer append-only")
    orgs = conn.execute("SELECT count(*) FROM wallets WHERE scope = 'organization'").fetchone()[0]
    if orgs != 1:
        found.append(f"expected exactly one organization wallet, found {orgs}")
    return found
