"""The gateway side of ``SqliteLedger``: the consumer group -> team mapping, holds placed by
``reserve`` on the first of user -> team -> org wallets that covers the estimate, ``settle``,
expiry, and the cost tickets of requests no wallet covered (DESIGN §9).

Reserve is idempotent by ``request_id`` and settle by reservation; the entries themselves are
written by ``holds.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from reconciler.errors import BudgetExceeded, LedgerRequestInvalid
from reconciler.ledger.base import CostTicket, Reservation, Transaction
from reconciler.sandbox import holds as sqlite_holds
from reconciler.sandbox import reads
from reconciler.sandbox.connections import Connections
from reconciler.sandbox.entries import fingerprint
from reconciler.sandbox.rows import check_amount, check_id, check_key
from reconciler.sandbox.schema import format_timestamp, parse_timestamp

MAX_TIMEOUT_SECONDS = 86_400


class GatewaySide:
    """Reserve, settle and the gateway mapping, over the ledger's connections ``_db``."""

    _db: Connections

    def gateway_config(self) -> tuple[dict[str, str], bool]:
        """The consumer group -> team mapping and whether wallet enforcement is on."""
        with self._db.reading() as conn:
            rows = conn.execute("SELECT consumer_group, team_id FROM consumer_groups").fetchall()
            flag = conn.execute(
                "SELECT value FROM meta WHERE key = 'wallet_enforcement'"
            ).fetchone()
        return {str(g): str(t) for g, t in rows}, bool(flag and flag[0] == "1")

    def configure_gateway(self, mapping: Mapping[str, str], wallet_enforcement: bool) -> None:
        """Replace the consumer group -> team mapping that ``reserve`` uses."""
        for group, team in mapping.items():
            check_id(group, "consumer group")
            check_id(team, "team id")
        with self._db.writing(None) as (conn, _ctx):
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
            or not (0 < timeout_seconds <= MAX_TIMEOUT_SECONDS)
        ):
            raise LedgerRequestInvalid(
                f"timeout_seconds must be between 1 and {MAX_TIMEOUT_SECONDS}, "
                f"got {timeout_seconds!r}"
            )
        request = fingerprint(
            "reserve",
            amount=estimated_cost,
            user=user_id,
            team=team_id,
            group=consumer_group,
            timeout=timeout_seconds,
        )
        try:
            return self._reserve(
                request_id,
                estimated_cost,
                user_id,
                team_id,
                consumer_group,
                timeout_seconds,
                request,
                actor,
            )
        except BudgetExceeded:
            with self._db.writing(actor) as (conn, ctx):
                team = team_id or sqlite_holds.listed_team(conn, consumer_group)
                ticket = (request_id, user_id, team, consumer_group, estimated_cost)
                sqlite_holds.queue_ticket(conn, ticket, ctx)
            raise

    def cost_tickets(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[CostTicket]:
        """Requests refused with 402 (no wallet covered them), oldest first."""
        with self._db.reading() as conn:
            return reads.cost_tickets(conn, since, until)

    def _reserve(
        self,
        request_id: str,
        estimated_cost: int,
        user_id: str | None,
        team_id: str | None,
        consumer_group: str | None,
        timeout_seconds: int,
        request: str,
        actor: str | None,
    ) -> Reservation:
        with self._db.writing(actor) as (conn, ctx):
            team = team_id or sqlite_holds.mapped_team(conn, consumer_group)
            attributed = team or sqlite_holds.listed_team(conn, consumer_group)
            expires = format_timestamp(
                parse_timestamp(ctx.now) + timedelta(seconds=timeout_seconds)
            )
            return sqlite_holds.reserve(
                conn,
                request_id,
                estimated_cost,
                user_id=user_id,
                team_id=team,
                attribution=(user_id, attributed, consumer_group),
                expires_at=expires,
                request=request,
                ctx=ctx,
            )

    def settle(
        self, reservation_id: str, actual_cost: int, *, actor: str | None = None
    ) -> Transaction:
        """Charge the actual cost, release the surplus as a ``refund`` (see sqlite_holds)."""
        check_key(reservation_id, "reservation id")
        check_amount(actual_cost, "actual cost", allow_zero=True)
        with self._db.writing(actor) as (conn, ctx):
            seq = sqlite_holds.settle(conn, reservation_id, actual_cost, ctx)
            return reads.entry(conn, seq)

    def expire_reservations(self) -> int:
        """Release every hold past its timeout (``expiry`` entries); how many were released."""
        return self._db.expire_due()
