"""``SqliteLedger``: the embedded sandbox ledger, the Keeptrusts wallet model on SQLite.

One organization wallet (made by ``create``), team and user wallets (made by their first
allocation), and an append-only table of entries. Every write is one ``BEGIN IMMEDIATE``
transaction that first releases expired holds, then checks, then writes the entries and the
wallets' cached columns together, so the file is consistent across threads and processes.
Reads run in one snapshot each. ``check()`` re-derives every cached number from the entries.

Thread-safe: each thread gets its own connection. Idempotency keys are honoured for credit,
allocate and reclaim (same key and request: the original entry; another request: conflict);
reserve is idempotent by ``request_id`` and settle by reservation.
"""

from __future__ import annotations

import base64
import binascii
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType

from reconciler.errors import (
    LedgerConfigError,
    LedgerError,
    LedgerNotFound,
    LedgerRequestInvalid,
    LedgerUnavailable,
)
from reconciler.ledger import sqlite_check, sqlite_ops
from reconciler.ledger.base import Reservation, Scope, TeamObservation, Transaction, Wallet
from reconciler.ledger.sqlite_ops import Context, fingerprint
from reconciler.ledger.sqlite_rows import (
    ENTRY_SELECT,
    WALLET_COLUMNS,
    check_amount,
    check_id,
    check_key,
    check_text,
    total_credits,
    transaction_from_row,
    wallet_from_row,
)
from reconciler.ledger.sqlite_schema import (
    SCHEMA_VERSION,
    connect,
    format_timestamp,
    migrate,
    parse_timestamp,
    schema_version,
)
from reconciler.periods import Clock, Period, utc_now

DEFAULT_ACTOR = "sandbox"
MAX_PAGE = 1000


class SqliteLedger:
    """The sandbox ledger in the SQLite file at ``path`` (see the module docstring)."""

    def __init__(
        self, path: Path | str, *, clock: Clock | None = None, actor: str = DEFAULT_ACTOR
    ) -> None:
        self._path = Path(path)
        self._clock: Clock = clock or utc_now
        self._actor = check_text(actor, "actor")
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        if not self._path.is_file():
            raise LedgerConfigError(
                f"no sandbox ledger at {self._path}: create it with "
                f"`reconciler sandbox init --db {self._path} --org ORG_ID`"
            )
        conn = self._conn()
        try:
            version = schema_version(conn)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise LedgerConfigError(
                f"{self._path} is not a sandbox ledger ({exc}): create one with "
                f"`reconciler sandbox init --db {self._path} --org ORG_ID`"
            ) from exc
        if version == 0:
            self.close()
            raise LedgerConfigError(
                f"{self._path} is not a sandbox ledger: create one with "
                f"`reconciler sandbox init --db {self._path} --org ORG_ID`"
            )
        if version != SCHEMA_VERSION:
            migrate(conn, self._path, self._now())
        self._org_id = str(
            conn.execute("SELECT value FROM meta WHERE key = 'org_id'").fetchone()[0]
        )

    @classmethod
    def create(
        cls,
        path: Path | str,
        org_id: str,
        *,
        clock: Clock | None = None,
        actor: str = DEFAULT_ACTOR,
    ) -> SqliteLedger:
        """Create the ledger (and parent directories), or open it if it is already ``org_id``'s.

        Refuses an existing ledger of another organization.
        """
        path = Path(path)
        check_id(org_id, "organization id")
        now = format_timestamp((clock or utc_now)())
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
                sqlite_ops.ensure_wallet(conn, Scope.ORGANIZATION, org_id, Context(now, actor))
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
        return cls(path, clock=clock, actor=actor)

    # -- properties and lifecycle ----------------------------------------------------------

    @property
    def path(self) -> Path:
        return self._path

    @property
    def org_id(self) -> str:
        return self._org_id

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for conn in self._connections:
                conn.close()
            self._connections.clear()

    def __enter__(self) -> SqliteLedger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- reads ---------------------------------------------------------------------------------

    def organization_wallet(self) -> Wallet:
        with self._reading() as conn:
            row = conn.execute(
                f"SELECT {WALLET_COLUMNS} FROM wallets WHERE scope = 'organization'"
            ).fetchone()
            return wallet_from_row(row, total_credits(conn))

    def list_wallets(self) -> list[Wallet]:
        """Every wallet: the organization's first, then teams, then users, by owner id."""
        with self._reading() as conn:
            credits = total_credits(conn)
            rows = conn.execute(
                f"SELECT {WALLET_COLUMNS} FROM wallets ORDER BY CASE scope"
                " WHEN 'organization' THEN 0 WHEN 'team' THEN 1 ELSE 2 END, owner_id"
            ).fetchall()
            return [wallet_from_row(row, credits) for row in rows]

    def team_wallet(self, team_id: str) -> Wallet | None:
        return self._owned_wallet(Scope.TEAM, team_id)

    def user_wallet(self, user_id: str) -> Wallet | None:
        return self._owned_wallet(Scope.USER, user_id)

    def wallet(self, wallet_id: str) -> Wallet:
        with self._reading() as conn:
            row = conn.execute(
                f"SELECT {WALLET_COLUMNS} FROM wallets WHERE id = ?", (wallet_id,)
            ).fetchone()
            if row is None:
                raise LedgerNotFound(f"no wallet {wallet_id!r} in the sandbox ledger")
            return wallet_from_row(row, total_credits(conn))

    def transactions(
        self,
        wallet_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[Transaction]:
        """Entries of one wallet with since <= created_at < until, oldest first."""
        where, params = self._window(since, until)
        with self._reading() as conn:
            self._require_wallet(conn, wallet_id)
            rows = conn.execute(
                f"{ENTRY_SELECT} WHERE e.wallet_id = ?{where} ORDER BY e.created_at, e.seq",
                (wallet_id, *params),
            ).fetchall()
        return iter([transaction_from_row(row) for row in rows])

    def all_transactions(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[Transaction]:
        """Entries of every wallet, oldest first (created_at, then id)."""
        where, params = self._window(since, until)
        clause = f" WHERE {where[5:]}" if where else ""
        with self._reading() as conn:
            rows = conn.execute(
                f"{ENTRY_SELECT}{clause} ORDER BY e.created_at, e.seq", params
            ).fetchall()
        return [transaction_from_row(row) for row in rows]

    def transactions_page(
        self,
        wallet_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> tuple[list[Transaction], str | None]:
        """One page of ``transactions`` and the opaque cursor of the next (None at the end)."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            raise LedgerRequestInvalid(f"limit must be between 1 and {MAX_PAGE}, got {limit!r}")
        where, params = self._window(since, until)
        if cursor is not None:
            after_time, after_seq = _decode_cursor(cursor)
            where += " AND (e.created_at > ? OR (e.created_at = ? AND e.seq > ?))"
            params = [*params, after_time, after_time, after_seq]
        with self._reading() as conn:
            self._require_wallet(conn, wallet_id)
            rows = conn.execute(
                f"{ENTRY_SELECT} WHERE e.wallet_id = ?{where} ORDER BY e.created_at, e.seq LIMIT ?",
                (wallet_id, *params, limit + 1),
            ).fetchall()
        page = rows[:limit]
        more = len(rows) > limit
        next_cursor = _encode_cursor(str(page[-1][6]), int(page[-1][0])) if more else None
        return [transaction_from_row(row) for row in page], next_cursor

    def observe(self, team_ids: Iterable[str], period: Period) -> dict[str, TeamObservation]:
        """Per team: its wallet, allocation flows in ``period`` and balance at its start."""
        start, end = format_timestamp(period.start), format_timestamp(period.end)
        result: dict[str, TeamObservation] = {}
        with self._reading() as conn:
            credits = total_credits(conn)
            for team_id in team_ids:
                row = conn.execute(
                    f"SELECT {WALLET_COLUMNS} FROM wallets WHERE scope = 'team' AND owner_id = ?",
                    (team_id,),
                ).fetchone()
                if row is None:
                    result[team_id] = TeamObservation(team_id, None, (), 0)
                    continue
                carry = conn.execute(
                    "SELECT coalesce(sum(amount), 0) FROM entries WHERE wallet_id = ?"
                    " AND type IN ('credit', 'allocation_in', 'allocation_out', 'settlement')"
                    " AND created_at < ?",
                    (row[0], start),
                ).fetchone()[0]
                flows = conn.execute(
                    f"{ENTRY_SELECT} WHERE e.wallet_id = ?"
                    " AND e.type IN ('allocation_in', 'allocation_out')"
                    " AND e.created_at >= ? AND e.created_at < ? ORDER BY e.created_at, e.seq",
                    (row[0], start, end),
                ).fetchall()
                result[team_id] = TeamObservation(
                    team_id,
                    wallet_from_row(row, credits),
                    tuple(transaction_from_row(flow) for flow in flows),
                    int(carry),
                )
        return result

    def gateway_config(self) -> tuple[dict[str, str], bool]:
        """The consumer group -> team mapping and whether wallet enforcement is on."""
        with self._reading() as conn:
            rows = conn.execute("SELECT consumer_group, team_id FROM consumer_groups").fetchall()
            flag = conn.execute(
                "SELECT value FROM meta WHERE key = 'wallet_enforcement'"
            ).fetchone()
        return {str(g): str(t) for g, t in rows}, bool(flag and flag[0] == "1")

    def entry_count(self) -> int:
        with self._reading() as conn:
            return int(conn.execute("SELECT count(*) FROM entries").fetchone()[0])

    def check(self) -> list[str]:
        """Every violated invariant (DESIGN §2), one line each; empty when the ledger is sound."""
        with self._reading() as conn:
            return sqlite_check.violations(conn)

    # -- writes --------------------------------------------------------------------------------

    def credit(
        self,
        amount: int,
        *,
        note: str = "",
        idempotency_key: str | None = None,
        actor: str | None = None,
    ) -> Transaction:
        """Add credits to the organization wallet; returns its ``credit`` entry."""
        check_amount(amount)
        check_text(note, "note")
        request = fingerprint("credit", amount=amount, note=note)
        return self._movement(
            idempotency_key,
            request,
            actor,
            lambda conn, ctx: sqlite_ops.credit(conn, amount, note, ctx),
        )

    def allocate(
        self,
        team_id: str,
        amount: int,
        *,
        note: str = "",
        idempotency_key: str | None = None,
        actor: str | None = None,
    ) -> Transaction:
        """Org -> team (wallet made on first allocation); returns the team's allocation_in."""
        return self._allocation(
            "allocate", Scope.TEAM, team_id, amount, note, idempotency_key, actor
        )

    def reclaim(
        self,
        team_id: str,
        amount: int,
        *,
        note: str = "",
        idempotency_key: str | None = None,
        actor: str | None = None,
    ) -> Transaction:
        """Team -> org, at most the team's available; returns the team's allocation_out."""
        return self._allocation(
            "reclaim", Scope.TEAM, team_id, amount, note, idempotency_key, actor
        )

    def allocate_user(
        self,
        user_id: str,
        amount: int,
        *,
        note: str = "",
        idempotency_key: str | None = None,
        actor: str | None = None,
    ) -> Transaction:
        """Org -> user wallet; returns the user's allocation_in."""
        return self._allocation(
            "allocate", Scope.USER, user_id, amount, note, idempotency_key, actor
        )

    def reclaim_user(
        self,
        user_id: str,
        amount: int,
        *,
        note: str = "",
        idempotency_key: str | None = None,
        actor: str | None = None,
    ) -> Transaction:
        """User wallet -> org; returns the user's allocation_out."""
        return self._allocation(
            "reclaim", Scope.USER, user_id, amount, note, idempotency_key, actor
        )

    def configure_gateway(self, mapping: Mapping[str, str], wallet_enforcement: bool) -> None:
        """Replace the consumer group -> team mapping that ``reserve`` uses."""
        for group, team in mapping.items():
            check_id(group, "consumer group")
            check_id(team, "team id")
        with self._writing(None) as (conn, _ctx):
            conn.execute("DELETE FROM consumer_groups")
            conn.executemany(
                "INSERT INTO consumer_groups (consumer_group, team_id) VALUES (?, ?)",
                sorted(mapping.items()),
            )
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('wallet_enforcement', ?)",
                ("1" if wallet_enforcement else "0",),
            )

    def reserve(
        self,
        request_id: str,
        estimated_cost: int,
        *,
        user_id: str | None = None,
        team_id: str | None = None,
        consumer_group: str | None = None,
        timeout_seconds: int = 300,
        actor: str | None = None,
    ) -> Reservation:
        """Hold the estimate on the first of user -> team -> org wallets that covers it.

        The team is ``team_id``, else the team ``consumer_group`` maps to when wallet
        enforcement is on. None covers it: BudgetExceeded. The same ``request_id`` with the
        same parameters returns the original reservation; with others, LedgerConflict.
        """
        check_key(request_id, "request id")
        check_amount(estimated_cost, "estimated cost")
        for value, what in (
            (user_id, "user id"),
            (team_id, "team id"),
            (consumer_group, "consumer group"),
        ):
            if value is not None:
                check_id(value, what)
        if (
            isinstance(timeout_seconds, bool)
            or not isinstance(timeout_seconds, int)
            or not (0 < timeout_seconds <= 86_400)
        ):
            raise LedgerRequestInvalid(
                f"timeout_seconds must be between 1 and 86400, got {timeout_seconds!r}"
            )
        request = fingerprint(
            "reserve",
            amount=estimated_cost,
            user=user_id,
            team=team_id,
            group=consumer_group,
            timeout=timeout_seconds,
        )
        with self._writing(actor) as (conn, ctx):
            team = team_id or self._mapped_team(conn, consumer_group)
            expires = format_timestamp(self._moment(ctx) + timedelta(seconds=timeout_seconds))
            return sqlite_ops.reserve(
                conn,
                request_id,
                estimated_cost,
                user_id=user_id,
                team_id=team,
                expires_at=expires,
                request=request,
                ctx=ctx,
            )

    def settle(
        self, reservation_id: str, actual_cost: int, *, actor: str | None = None
    ) -> Transaction:
        """Charge the actual cost and release the surplus as a ``refund`` (see sqlite_ops)."""
        check_key(reservation_id, "reservation id")
        check_amount(actual_cost, "actual cost", allow_zero=True)
        with self._writing(actor) as (conn, ctx):
            seq = sqlite_ops.settle(conn, reservation_id, actual_cost, ctx)
            return _entry(conn, seq)

    def expire_reservations(self) -> int:
        """Release every hold past its timeout (``expiry`` entries); how many were released."""
        with self._writing(None) as (conn, ctx):
            return sqlite_ops.expire_due(conn, ctx)

    # -- internals -----------------------------------------------------------------------------

    def _allocation(
        self,
        operation: str,
        scope: Scope,
        owner_id: str,
        amount: int,
        note: str,
        idempotency_key: str | None,
        actor: str | None,
    ) -> Transaction:
        check_id(owner_id, f"{scope.value} id")
        check_amount(amount)
        check_text(note, "note")
        request = fingerprint(
            operation, scope=scope.value, owner=owner_id, amount=amount, note=note
        )
        move = sqlite_ops.allocate if operation == "allocate" else sqlite_ops.reclaim
        return self._movement(
            idempotency_key,
            request,
            actor,
            lambda conn, ctx: move(conn, scope, owner_id, amount, note, ctx),
        )

    def _movement(
        self,
        key: str | None,
        request: str,
        actor: str | None,
        write: sqlite_ops.Write,
    ) -> Transaction:
        if key is not None:
            check_key(key)
        with self._writing(actor) as (conn, ctx):
            seq = sqlite_ops.replayed(conn, key, request)
            if seq is None:
                seq = write(conn, ctx)
                sqlite_ops.remember(conn, key, request, seq, ctx.now)
            return _entry(conn, seq)

    def _mapped_team(self, conn: sqlite3.Connection, group: str | None) -> str | None:
        if group is None:
            return None
        flag = conn.execute("SELECT value FROM meta WHERE key = 'wallet_enforcement'").fetchone()
        if not (flag and flag[0] == "1"):
            return None
        row = conn.execute(
            "SELECT team_id FROM consumer_groups WHERE consumer_group = ?", (group,)
        ).fetchone()
        if row is None:
            raise LedgerRequestInvalid(
                f"consumer group {group!r} is not in the gateway configuration: add it to "
                "consumer_groups with a wallet_team_id"
            )
        return str(row[0])

    def _owned_wallet(self, scope: Scope, owner_id: str) -> Wallet | None:
        with self._reading() as conn:
            row = conn.execute(
                f"SELECT {WALLET_COLUMNS} FROM wallets WHERE scope = ? AND owner_id = ?",
                (scope.value, owner_id),
            ).fetchone()
            return None if row is None else wallet_from_row(row, total_credits(conn))

    def _require_wallet(self, conn: sqlite3.Connection, wallet_id: str) -> None:
        if conn.execute("SELECT 1 FROM wallets WHERE id = ?", (wallet_id,)).fetchone() is None:
            raise LedgerNotFound(f"no wallet {wallet_id!r} in the sandbox ledger")

    @staticmethod
    def _window(since: datetime | None, until: datetime | None) -> tuple[str, list[object]]:
        where, params = "", list[object]()
        for bound, what, op in ((since, "since", ">="), (until, "until", "<")):
            if bound is None:
                continue
            if not isinstance(bound, datetime) or bound.tzinfo is None:
                raise LedgerRequestInvalid(f"{what} must be a UTC-aware datetime, got {bound!r}")
            where += f" AND e.created_at {op} ?"
            params.append(format_timestamp(bound))
        return where, params

    def _now(self) -> str:
        return format_timestamp(self._clock())

    @staticmethod
    def _moment(ctx: Context) -> datetime:
        return parse_timestamp(ctx.now)

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise LedgerConfigError(f"sandbox ledger {self._path} is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self._path)
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _expire_if_due(self) -> None:
        due = self._conn().execute(
            "SELECT 1 FROM reservations WHERE status = 'open' AND expires_at <= ? LIMIT 1",
            (self._now(),),
        )
        if due.fetchone() is not None:
            self.expire_reservations()

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        try:
            self._expire_if_due()
            conn = self._conn()
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise _translate(self._path, exc) from exc

    @contextmanager
    def _writing(self, actor: str | None) -> Iterator[tuple[sqlite3.Connection, Context]]:
        if actor is not None:
            check_text(actor, "actor")
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                now = self._now()
                sqlite_ops.expire_due(conn, Context(now, self._actor))
                yield conn, Context(now, actor or self._actor)
                conn.execute("COMMIT")
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise _translate(self._path, exc) from exc


def _entry(conn: sqlite3.Connection, seq: int) -> Transaction:
    row = conn.execute(f"{ENTRY_SELECT} WHERE e.seq = ?", (seq,)).fetchone()
    return transaction_from_row(row)


def _translate(path: Path, exc: sqlite3.Error) -> LedgerError:
    if isinstance(exc, sqlite3.OperationalError):
        return LedgerUnavailable(f"sandbox ledger {path} is unavailable ({exc}); try again")
    return LedgerError(f"sandbox ledger {path} refused a write ({exc})")


def _encode_cursor(created_at: str, seq: int) -> str:
    return base64.urlsafe_b64encode(f"{created_at}|{seq}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, _, seq = text.partition("|")
        format_timestamp(datetime.fromisoformat(created_at[:-1] + "+00:00"))
        return created_at, int(seq)
    except (binascii.Error, UnicodeDecodeError, ValueError, LedgerConfigError) as exc:
        raise LedgerRequestInvalid(
            f"cursor {cursor!r} is not one this ledger returned: start again without a cursor"
        ) from exc
