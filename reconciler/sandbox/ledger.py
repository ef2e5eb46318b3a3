"""``SqliteLedger``: the embedded sandbox ledger, the Keeptrusts wallet model on SQLite.

One organization wallet (made by ``create``), team and user wallets (made by their first
allocation), and an append-only table of entries. Every write is one ``BEGIN IMMEDIATE``
transaction that first releases expired holds, then checks, then writes the entries and the
wallets' cached columns together, so the file is consistent across threads and processes.
Reads run in one snapshot each. ``check()`` re-derives every cached number from the entries.

Thread-safe: each thread gets its own connection. Idempotency keys are honoured for credit,
allocate and reclaim (same key and request: the original entry, marked ``replayed``; another
request: conflict);
reserve is idempotent by ``request_id`` and settle by reservation. Every entry records the
actor: the constructor's, or the ``actor=`` a write passes (e.g. the server's principal).
The gateway side (reserve, settle, expiry, the consumer-group mapping, cost tickets) is the
base class ``gateway_side.GatewaySide``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import TracebackType

from reconciler.clock import Clock, utc_now
from reconciler.errors import LedgerConfigError
from reconciler.ledger.base import (
    EntryType,
    Scope,
    Settled,
    TeamObservation,
    Transaction,
    Wallet,
)
from reconciler.periods import Period
from reconciler.sandbox import entries, invariants, reads
from reconciler.sandbox.connections import Connections
from reconciler.sandbox.entries import fingerprint, initialize
from reconciler.sandbox.gateway_side import GatewaySide
from reconciler.sandbox.rows import check_amount, check_id, check_key, check_text
from reconciler.sandbox.schema import (
    format_timestamp,
    init_hint,
    open_ledger_file,
)

DEFAULT_ACTOR = "sandbox"


class SqliteLedger(GatewaySide):
    """The sandbox ledger in the SQLite file at ``path`` (see the module docstring)."""

    def __init__(
        self, path: Path | str, *, clock: Clock | None = None, actor: str = DEFAULT_ACTOR
    ) -> None:
        path = Path(path)
        self._db = Connections(path, clock or utc_now, check_text(actor, "actor"))
        if path.is_dir():
            raise LedgerConfigError(
                f"{path} is a directory, not a sandbox ledger file: point at the .db file"
            )
        if not path.is_file():  # checked first: connecting would create the file
            raise LedgerConfigError(f"no sandbox ledger at {path}: {init_hint(path)}")
        try:
            self._org_id = open_ledger_file(self._db.conn(), path, self._db.now())
        except LedgerConfigError:
            self.close()
            raise

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
        initialize(path, org_id, format_timestamp((clock or utc_now)()), actor)
        return cls(path, clock=clock, actor=actor)

    # -- properties and lifecycle ----------------------------------------------------------

    @property
    def path(self) -> Path:
        return self._db.path

    @property
    def org_id(self) -> str:
        return self._org_id

    def close(self) -> None:
        """Close every connection; the ledger cannot be used afterwards."""
        self._db.close()

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
        with self._db.reading() as conn:
            return reads.wallets(conn, " WHERE scope = 'organization'")[0]

    def list_wallets(self) -> list[Wallet]:
        """Every wallet: the organization's first, then teams, then users, by owner id."""
        with self._db.reading() as conn:
            return reads.wallets(conn)

    def team_wallet(self, team_id: str) -> Wallet | None:
        with self._db.reading() as conn:
            return reads.owned_wallet(conn, Scope.TEAM, team_id)

    def user_wallet(self, user_id: str) -> Wallet | None:
        with self._db.reading() as conn:
            return reads.owned_wallet(conn, Scope.USER, user_id)

    def wallet(self, wallet_id: str) -> Wallet:
        """The wallet with this id; LedgerNotFound when there is none."""
        with self._db.reading() as conn:
            return reads.wallet_by_id(conn, wallet_id)

    def transactions(
        self,
        wallet_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[Transaction]:
        """Entries of one wallet with since <= created_at < until, oldest first."""
        with self._db.reading() as conn:
            return iter(reads.entries(conn, wallet_id, since, until))

    def all_transactions(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[Transaction]:
        """Entries of every wallet, oldest first (created_at, then id)."""
        with self._db.reading() as conn:
            return reads.entries(conn, None, since, until)

    def settlements(
        self, *, since: datetime, until: datetime, wallets: Sequence[Wallet] | None = None
    ) -> list[Transaction]:
        """The settlement entries of every wallet with since <= created_at < until, in one
        query (the spend ``usage`` and the plan's forecast read); ``wallets``, a list the
        caller has read, is not needed for that."""
        with self._db.reading() as conn:
            return reads.entries(conn, None, since, until, (EntryType.SETTLEMENT,))

    def settled(self, *, since: datetime, until: datetime) -> list[Settled]:
        """``settlements`` as the spend figures read them (``Settled``), in no particular order:
        the plan's forecast reads these."""
        with self._db.reading() as conn:
            return reads.settled(conn, since, until)

    def transactions_page(
        self,
        wallet_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> tuple[list[Transaction], str | None]:
        """One page (1 <= limit <= 1000) of ``transactions`` and the next cursor (None: last)."""
        with self._db.reading() as conn:
            return reads.page(conn, wallet_id, since, until, limit, cursor)

    def observe(self, team_ids: Iterable[str], period: Period) -> dict[str, TeamObservation]:
        """Per team: its wallet, allocation flows in ``period`` and balance at its start."""
        with self._db.reading() as conn:
            return reads.observe(conn, team_ids, period)

    def entry_count(self) -> int:
        with self._db.reading() as conn:
            return int(conn.execute("SELECT count(*) FROM entries").fetchone()[0])

    def check(self) -> list[str]:
        """Every violated invariant (DESIGN §2), one line each; empty when the ledger is sound."""
        with self._db.reading() as conn:
            return invariants.violations(conn)

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
            lambda conn, ctx: entries.credit(conn, amount, note, ctx),
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
        move = entries.allocate if operation == "allocate" else entries.reclaim
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
        write: entries.Write,
    ) -> Transaction:
        """Run ``write`` once per idempotency key.

        The key is looked up, the movement made and the key claimed in one ``BEGIN IMMEDIATE``
        transaction (the single writer, across threads, servers and processes on the file), so
        two requests racing with one key never both move money: the later one replays the
        earlier one's entry, or is a conflict when it asks for something else. Nothing waits
        between the look-up and the write (the server's latency fault sleeps before both).
        """
        if key is not None:
            check_key(key)
        with self._db.writing(actor) as (conn, ctx):
            seq = entries.replayed(conn, key, request)
            if seq is not None:
                return replace(reads.entry(conn, seq), replayed=True)
            seq = write(conn, ctx)
            entries.remember(conn, key, request, seq, ctx.now)
            return reads.entry(conn, seq)
