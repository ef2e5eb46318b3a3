"""Connections to one sandbox ledger file: one per thread, read snapshots, immediate writes.

``reading()`` yields a connection inside a deferred transaction (one consistent snapshot);
``writing(actor)`` yields one inside ``BEGIN IMMEDIATE`` (the single writer, across threads and
processes, waiting up to the busy timeout) after releasing expired holds, and commits only if
the body returns. Both release expired holds first, so they never linger. sqlite3 errors are
translated to ``LedgerUnavailable`` (locked, busy, I/O) or ``LedgerError``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reconciler.clock import Clock
from reconciler.errors import LedgerConfigError, LedgerError, LedgerUnavailable
from reconciler.sandbox import holds
from reconciler.sandbox.entries import Context
from reconciler.sandbox.rows import check_text
from reconciler.sandbox.schema import connect, format_timestamp


class Connections:
    """Per-thread connections to ``path``, closed together by ``close()``."""

    def __init__(self, path: Path, clock: Clock, actor: str) -> None:
        self.path = path
        self.clock = clock
        self.actor = actor
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []
        self._closed = False

    def now(self) -> str:
        return format_timestamp(self.clock())

    def conn(self) -> sqlite3.Connection:
        if self._closed:
            raise LedgerConfigError(f"sandbox ledger {self.path} is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for conn in self._all:
                conn.close()
            self._all.clear()

    def expire_due(self) -> int:
        """Release every hold past its timeout, in its own write transaction."""
        with self.writing(None, expire=False) as (conn, ctx):
            return holds.expire_due(conn, ctx)

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = self.conn()
            due = conn.execute(
                "SELECT 1 FROM reservations WHERE status = 'open' AND expires_at <= ? LIMIT 1",
                (self.now(),),
            ).fetchone()
            if due is not None:
                self.expire_due()
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise translate(self.path, exc) from exc

    @contextmanager
    def writing(
        self, actor: str | None, *, expire: bool = True
    ) -> Iterator[tuple[sqlite3.Connection, Context]]:
        if actor is not None:
            check_text(actor, "actor")
        try:
            conn = self.conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                now = self.now()
                if expire:
                    holds.expire_due(conn, Context(now, self.actor))
                yield conn, Context(now, actor or self.actor)
                conn.execute("COMMIT")
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise translate(self.path, exc) from exc


def translate(path: Path, exc: sqlite3.Error) -> LedgerError:
    if isinstance(exc, sqlite3.OperationalError):
        return LedgerUnavailable(f"sandbox ledger {path} is unavailable ({exc}); try again")
    return LedgerError(f"sandbox ledger {path} refused the operation ({exc})")
