"""The sandbox ledger's SQLite schema: DDL, migrations, and how a connection is opened.

The schema version lives in the ``migrations`` table (one row per applied migration). Opening a
ledger applies any migration it lacks inside one ``BEGIN IMMEDIATE`` transaction, so two
processes opening an old file at once upgrade it once. The database enforces what it can by
itself: entry types and amount signs (CHECK), append-only entries (triggers), non-negative holds.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from reconciler.errors import LedgerConfigError

BUSY_TIMEOUT_SECONDS = 30.0

# The text form of every timestamp: fixed width, so text order is time order.
TIMESTAMP_GLOB = (
    "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]"
    ".[0-9][0-9][0-9][0-9][0-9][0-9]Z"
)

_V1 = f"""
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE wallets (
    id              TEXT PRIMARY KEY,
    scope           TEXT NOT NULL CHECK (scope IN ('organization', 'team', 'user')),
    owner_id        TEXT NOT NULL,
    name            TEXT NOT NULL,
    currency        TEXT NOT NULL DEFAULT 'USD',
    balance         INTEGER NOT NULL DEFAULT 0,
    reserved        INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    total_allocated INTEGER NOT NULL DEFAULT 0,
    total_spent     INTEGER NOT NULL DEFAULT 0 CHECK (total_spent >= 0),
    created_at      TEXT NOT NULL CHECK (created_at GLOB '{TIMESTAMP_GLOB}'),
    UNIQUE (scope, owner_id)
) STRICT;

CREATE TABLE entries (
    seq            INTEGER PRIMARY KEY,
    wallet_id      TEXT NOT NULL REFERENCES wallets (id),
    type           TEXT NOT NULL CHECK (type IN ('credit', 'allocation_in', 'allocation_out',
                       'reservation', 'settlement', 'refund', 'expiry')),
    amount         INTEGER NOT NULL CHECK (
                       CASE WHEN type IN ('credit', 'allocation_in', 'refund', 'expiry')
                            THEN amount > 0 ELSE amount < 0 END),
    balance_after  INTEGER NOT NULL,
    note           TEXT,
    created_at     TEXT NOT NULL CHECK (created_at GLOB '{TIMESTAMP_GLOB}'),
    actor          TEXT NOT NULL CHECK (actor <> ''),
    request_id     TEXT,
    reservation_id TEXT,
    pair_seq       INTEGER,
    CHECK ((type IN ('allocation_in', 'allocation_out')) = (pair_seq IS NOT NULL))
) STRICT;

CREATE INDEX entries_by_wallet_time ON entries (wallet_id, created_at, seq);

CREATE TRIGGER entries_are_append_only_update BEFORE UPDATE ON entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only: UPDATE is not allowed');
END;

CREATE TRIGGER entries_are_append_only_delete BEFORE DELETE ON entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only: DELETE is not allowed');
END;

CREATE TABLE reservations (
    id          TEXT PRIMARY KEY,
    request_id  TEXT NOT NULL UNIQUE,
    wallet_id   TEXT NOT NULL REFERENCES wallets (id),
    amount      INTEGER NOT NULL CHECK (amount > 0),
    fingerprint TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'settled', 'expired')),
    created_at  TEXT NOT NULL CHECK (created_at GLOB '{TIMESTAMP_GLOB}'),
    expires_at  TEXT NOT NULL CHECK (expires_at GLOB '{TIMESTAMP_GLOB}'),
    actual_cost INTEGER,
    closed_seq  INTEGER REFERENCES entries (seq)
) STRICT;

CREATE INDEX reservations_open ON reservations (expires_at) WHERE status = 'open';

CREATE TABLE idempotency_keys (
    key         TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    entry_seq   INTEGER NOT NULL REFERENCES entries (seq),
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE consumer_groups (
    consumer_group TEXT PRIMARY KEY,
    team_id        TEXT NOT NULL
) STRICT;
"""

_V2 = """
CREATE INDEX entries_credit_amounts ON entries (amount) WHERE type = 'credit';
CREATE INDEX entries_by_reservation ON entries (reservation_id) WHERE reservation_id IS NOT NULL;
"""

# Who a gateway request was for (DESIGN §9: reserve takes user, team and consumer group), so
# spend is attributed to its team whichever wallet of the cascade paid. Older ledgers keep their
# reservations with NULLs here (attributed by the paying wallet alone). A reserve that no wallet
# covers (402) queues a cost ticket: the request it held, counted per team by ``usage``.
_V3 = """
ALTER TABLE reservations ADD COLUMN user_id TEXT;
ALTER TABLE reservations ADD COLUMN team_id TEXT;
ALTER TABLE reservations ADD COLUMN consumer_group TEXT;
CREATE TABLE cost_tickets (
    request_id     TEXT PRIMARY KEY,
    user_id        TEXT,
    team_id        TEXT,
    consumer_group TEXT,
    estimated_cost INTEGER NOT NULL CHECK (estimated_cost > 0),
    created_at     TEXT NOT NULL
) STRICT;
"""

# Plans read each team wallet's entries of one period by type (its allocation flows, the balance
# effect since the period's start): an index on (wallet, type, time) with the amount serves both
# as a range, reading nothing of the history before the period however long it is.
_V4 = """
CREATE INDEX entries_by_wallet_type_time ON entries (wallet_id, type, created_at, amount);
"""

# (version, name, script). Append only: never edit a migration that has shipped.
MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "initial schema", _V1),
    (2, "index credits and reservation entries", _V2),
    (3, "record who each reservation was for, and cost tickets", _V3),
    (4, "index entries by wallet, type and time", _V4),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


def format_timestamp(moment: datetime) -> str:
    """The stored form: ``2026-11-28T15:17:06.000000Z`` (UTC, fixed width)."""
    if moment.tzinfo is None:
        raise LedgerConfigError("the ledger clock returned a naive datetime: it must be UTC-aware")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_timestamp(text: str) -> datetime:
    """The instant of a stored timestamp (any text ending in ``Z``: its last character is
    dropped and the rest read as UTC). The stored form is read whole: Python reads ``Z``."""
    if text.endswith("Z") and len(text) == _STORED_LENGTH:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if moment.tzinfo is UTC:
                return moment
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


_STORED_LENGTH = len("2026-11-28T15:17:06.000000Z")


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, with a busy timeout.

    ``synchronous = NORMAL`` under WAL: a crashed process never loses a committed transaction
    and the file never corrupts; only an OS crash or power loss may drop the last commits.
    That is the right trade for a sandbox (FULL makes every write ~10x slower).
    """
    try:
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.OperationalError as exc:
        raise LedgerConfigError(f"cannot open sandbox ledger {path}: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        raise LedgerConfigError(
            f"{path} is not a sandbox ledger ({exc}): create one with "
            f"`reconciler sandbox init --db PATH --org ORG_ID` at another path"
        ) from exc
    return conn


def init_hint(path: Path) -> str:
    return f"create it with `reconciler sandbox init --db {path} --org ORG_ID`"


def open_ledger_file(conn: sqlite3.Connection, path: Path, now: str) -> str:
    """Check that ``conn`` is a sandbox ledger, migrate it if it is old; its organization id."""
    try:
        version = schema_version(conn)
        if version == 0:
            raise LedgerConfigError(f"{path} is not a sandbox ledger: {init_hint(path)}")
        if version != SCHEMA_VERSION:
            migrate(conn, path, now)
        row = conn.execute("SELECT value FROM meta WHERE key = 'org_id'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise LedgerConfigError(
            f"{path} is not a sandbox ledger ({exc}): {init_hint(path)}"
        ) from exc
    if row is None:
        raise LedgerConfigError(f"{path} names no organization: {init_hint(path)}")
    return str(row[0])


def schema_version(conn: sqlite3.Connection) -> int:
    """The highest applied migration, 0 for an empty database."""
    row = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'migrations'"
    ).fetchone()
    if not row[0]:
        return 0
    version = conn.execute("SELECT max(version) FROM migrations").fetchone()[0]
    return int(version or 0)


def migrate(conn: sqlite3.Connection, path: Path, now: str) -> None:
    """Bring the schema to ``SCHEMA_VERSION`` in one immediate transaction."""
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = schema_version(conn)
            if current > SCHEMA_VERSION:
                raise LedgerConfigError(
                    f"sandbox ledger {path} has schema version {current}, newer than this "
                    f"reconciler supports ({SCHEMA_VERSION}): upgrade reconciler"
                )
            if current == 0:
                conn.execute(
                    "CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                    " applied_at TEXT NOT NULL) STRICT"
                )
            for version, name, script in MIGRATIONS:
                if version <= current:
                    continue
                for statement in _statements(script):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, now),
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    except sqlite3.DatabaseError as exc:
        raise LedgerConfigError(
            f"{path} is not a usable sandbox ledger ({exc}): pass the file made by "
            "`reconciler sandbox init`"
        ) from exc


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (triggers keep their inner semicolons)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
