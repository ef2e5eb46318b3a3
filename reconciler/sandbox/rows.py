"""Reading the sandbox ledger's rows into ``Wallet`` and ``Transaction`` values.

Also the ids (``txn_000000000042``, ``wal_team_<team id>``, ``rsv_000000000007``), the wallet
status rule, and the input checks shared by every write.

Status (the console's Healthy / Low / Depleted): **Depleted** when available <= 0; **Low** when
available is below 10% of the wallet's funding (``total_allocated`` for team and user wallets,
Σ credits for the organization wallet); **Healthy** otherwise.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from reconciler import notes
from reconciler.errors import LedgerRequestInvalid
from reconciler.ledger.base import EntryType, Scope, Transaction, Wallet, status_of
from reconciler.money import MICROS_PER_UNIT, format_usd
from reconciler.sandbox.schema import parse_timestamp
from reconciler.text import is_printable

MAX_AMOUNT = 1_000_000_000 * MICROS_PER_UNIT  # one movement: at most 1,000,000,000.00
MAX_TOTAL_CREDITS = 100 * MAX_AMOUNT  # keeps every sum far inside SQLite's 64-bit integers
MAX_NOTE_LENGTH = notes.MAX_NOTE_LENGTH  # DESIGN §5: one line, at most 255 characters

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
_PREFIX = {Scope.ORGANIZATION: "org", Scope.TEAM: "team", Scope.USER: "user"}

ENTRY_COLUMNS = (
    "e.seq, e.wallet_id, e.type, e.amount, e.balance_after, e.note, e.created_at,"
    " w.scope, w.owner_id, e.request_id, e.actor, r.user_id, r.team_id, r.consumer_group"
)
ENTRY_SELECT = (
    f"SELECT {ENTRY_COLUMNS} FROM entries e JOIN wallets w ON w.id = e.wallet_id"
    " LEFT JOIN reservations r ON r.id = e.reservation_id"
)
WALLET_COLUMNS = (
    "id, scope, owner_id, name, currency, balance, reserved, total_allocated, total_spent"
)


def wallet_id_for(scope: Scope, owner_id: str) -> str:
    return f"wal_{_PREFIX[scope]}_{owner_id}"


def entry_id(seq: int) -> str:
    return f"txn_{seq:012d}"


def reservation_id_for(number: int) -> str:
    return f"rsv_{number:012d}"


SCOPE_OF = {scope.value: scope for scope in Scope}  # a dict lookup, not an enum call per row
TYPE_OF = {entry_type.value: entry_type for entry_type in EntryType}


def wallet_from_row(row: Sequence[Any], credits: int) -> Wallet:
    """A ``Wallet`` from a ``WALLET_COLUMNS`` row; ``credits`` is Σ credits (org status)."""
    scope = SCOPE_OF[row[1]]
    balance, reserved, total_allocated = int(row[5]), int(row[6]), int(row[7])
    funding = credits if scope is Scope.ORGANIZATION else total_allocated
    return Wallet(
        id=str(row[0]),
        scope=scope,
        owner_id=str(row[2]),
        name=str(row[3]),
        currency=str(row[4]),
        balance=balance,
        reserved=reserved,
        total_allocated=total_allocated,
        total_spent=int(row[8]),
        status=status_of(balance - reserved, funding),
    )


def transaction_from_row(row: Sequence[Any]) -> Transaction:
    """A ``Transaction`` from an ``ENTRY_SELECT`` row."""
    return Transaction(
        id=entry_id(int(row[0])),
        wallet_id=str(row[1]),
        type=TYPE_OF[row[2]],
        amount=int(row[3]),
        balance_after=int(row[4]),
        note=row[5],
        created_at=parse_timestamp(str(row[6])),
        scope=SCOPE_OF[row[7]],
        owner_id=str(row[8]),
        request_id=row[9],
        actor=row[10],
        user_id=row[11],
        team_id=row[12],
        consumer_group=row[13],
    )


def total_credits(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT coalesce(sum(amount), 0) FROM entries WHERE type = 'credit'")
    return int(row.fetchone()[0])


# -- input checks (a refusal changes nothing, so these run before any write) ----------------


def check_amount(amount: object, what: str = "amount", *, allow_zero: bool = False) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise LedgerRequestInvalid(f"{what} must be an integer number of micro-USD, got {amount!r}")
    if amount < 0 or (amount == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "more than zero"
        raise LedgerRequestInvalid(f"{what} must be {bound}, got {format_usd(amount)}")
    if amount > MAX_AMOUNT:
        raise LedgerRequestInvalid(
            f"{what} {format_usd(amount)} is over the sandbox limit of "
            f"{format_usd(MAX_AMOUNT)} per operation"
        )
    return amount


def check_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise LedgerRequestInvalid(
            f"{what} {value!r} is not a valid id: use 1-128 letters, digits, '_', '.', ':' "
            "or '-', starting with a letter or digit"
        )
    return value


def check_text(value: object, what: str, *, limit: int = MAX_NOTE_LENGTH) -> str:
    if not isinstance(value, str):
        raise LedgerRequestInvalid(f"{what} must be text, got {value!r}")
    for position, char in enumerate(value, start=1):
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # how Python keeps an undecodable byte (surrogateescape)
            raise LedgerRequestInvalid(
                f"{what} must be valid UTF-8 text: character {position} is the undecodable "
                f"byte 0x{code - 0xDC00:02X}"
            )
        if 0xD800 <= code <= 0xDFFF:
            raise LedgerRequestInvalid(
                f"{what} must be valid UTF-8 text: character {position} is U+{code:04X}, "
                "half of a surrogate pair"
            )
        if not is_printable(char):
            raise LedgerRequestInvalid(
                f"{what} must be one line without control characters: character {position} "
                f"is U+{code:04X} ({_kind(char)})"
            )
    if len(value) > limit:
        raise LedgerRequestInvalid(f"{what} is {len(value)} characters long; the limit is {limit}")
    return value


def _kind(char: str) -> str:
    """What a refused character is, in words (``unicodedata`` categories Cc, Cf, Zl, Zp, Zs...)."""
    category = unicodedata.category(char)
    if category == "Cf":
        return "an invisible format character (bidi control or zero-width)"
    if category in {"Zl", "Zp"}:
        return "a line or paragraph separator"
    if category == "Zs":
        return "a space other than U+0020"
    return "a control character" if category == "Cc" else "an unassigned or private character"


def check_key(key: object, what: str = "idempotency key") -> str:
    text = check_text(key, what)
    if not text.strip():
        raise LedgerRequestInvalid(f"{what} must not be empty")
    return text


def sql_types(types: Iterable[EntryType]) -> str:
    """An SQL list of entry types, ``('allocation_in', 'allocation_out')``, made from the sign
    table's sets in ``ledger.base`` (``ALLOCATION_TYPES``, ``BALANCE_TYPES``) so the queries and
    the protocol's default ``observe`` count the same entries."""
    return "(" + ", ".join(f"'{kind.value}'" for kind in sorted(types)) + ")"
