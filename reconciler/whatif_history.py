"""The ledger's record of past periods, as the what-if replay reads it (``whatif.PeriodHistory``).

One read of every wallet's entries up to the end of the last period (or now): gateway holds are
pieced together from their entries by request id (the first reservation gives the estimate and the
paying wallet; the settlement, refund or expiry closes it), attributed once with
``usage.attribute``; balances at each period start are summed from the entries before it, as
``ledger.base.observation_from_entries`` does for one wallet.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from reconciler import notes
from reconciler.errors import UsageError
from reconciler.ledger.base import (
    ALLOCATION_TYPES,
    BALANCE_TYPES,
    EntryType,
    Ledger,
    Scope,
    Transaction,
)
from reconciler.model import DesiredState
from reconciler.periods import Period, PeriodKind, period_at, previous
from reconciler.usage import attribute
from reconciler.whatif import Hold, Key, PeriodHistory, opening_key

_CLOSING = frozenset({EntryType.SETTLEMENT, EntryType.REFUND, EntryType.EXPIRY})


def periods_to_replay(
    kind: PeriodKind, now: datetime, count: int, *, current: bool = False
) -> list[Period]:
    """The ``count`` completed periods before the one containing ``now``, oldest first, and
    that one too (replayed up to ``now``) when ``current``."""
    if kind is PeriodKind.NONE:
        raise UsageError(
            "period: none has no completed periods to replay: what-if needs monthly, quarterly "
            "or weekly periods in the Organization document"
        )
    if count < 1 and not current:
        raise UsageError("--periods 0 replays nothing: pass --periods N (N >= 1) or --current")
    found: list[Period] = []
    period = this = period_at(kind, now)
    for _ in range(count):
        period = previous(period)
        found.append(period)
    return [*found[::-1], *([this] if current else [])]


@dataclass(slots=True)
class _Request:
    """What one request's entries say, kept small (a ledger holds millions of entries)."""

    reserved: Key | None = None
    estimate: int = 0
    paid_by: Scope = Scope.ORGANIZATION
    team_id: str | None = None
    closed: Key | None = None
    actual: int = 0

    def add(self, entry: Transaction, mapping: dict[str, str]) -> None:
        if entry.type is EntryType.RESERVATION:
            if self.reserved is None:  # a second one holds an overage at settle time
                self.reserved, self.estimate = _key(entry), -entry.amount
                self.paid_by = entry.scope or Scope.ORGANIZATION
                self.team_id = attribute(entry, mapping)
            return
        if self.closed is None or _key(entry) < self.closed:
            self.closed = _key(entry)
        if entry.type is EntryType.SETTLEMENT:
            self.actual -= entry.amount


@dataclass(frozen=True, slots=True)
class LedgerHistory:
    periods: tuple[PeriodHistory, ...]
    first_entry: datetime | None  # the ledger's oldest entry (None: an empty ledger)


def _key(entry: Transaction) -> Key:
    return (entry.created_at, entry.id)


def read_history(
    ledger: Ledger, desired: DesiredState, periods: Sequence[Period], *, as_of: datetime
) -> LedgerHistory:
    """What ``ledger`` recorded in each of ``periods`` (consecutive, oldest first) before
    ``as_of`` (the end of the last one, or now when it is the current period)."""
    mapping = (
        {g.id: g.wallet_team_id for g in desired.gateway.consumer_groups} if desired.gateway else {}
    )
    starts = [p.start for p in periods]
    until = min(periods[-1].end, as_of)
    requests: dict[str, _Request] = {}
    credits: list[Transaction] = []
    movements: list[Key] = []  # the organization side of reconciler's own movements
    team_balances: dict[str, list[int]] = {}
    org_balance = [0] * (len(periods) + 1)
    first: datetime | None = None
    for wallet in ledger.list_wallets():
        deltas = [0] * (len(periods) + 1)
        for entry in ledger.transactions(wallet.id, until=until):
            first = entry.created_at if first is None else min(first, entry.created_at)
            if entry.type in BALANCE_TYPES:
                deltas[bisect_right(starts, entry.created_at)] += entry.amount
            if entry.type is EntryType.CREDIT and wallet.scope is Scope.ORGANIZATION:
                credits.append(entry)
            elif entry.type in ALLOCATION_TYPES:
                if wallet.scope is Scope.ORGANIZATION and notes.parse_note(entry.note):
                    movements.append(_key(entry))
            elif entry.request_id is None:
                continue
            elif entry.type is EntryType.RESERVATION or entry.type in _CLOSING:
                request = requests.get(entry.request_id)
                if request is None:
                    request = requests[entry.request_id] = _Request()
                request.add(entry, mapping)
        if wallet.scope is Scope.ORGANIZATION:
            org_balance = deltas
        elif wallet.scope is Scope.TEAM:
            team_balances[wallet.owner_id] = deltas
    holds = sorted(
        (_hold(request_id, r) for request_id, r in requests.items() if r.reserved is not None),
        key=lambda h: h.reserved,
    )
    credits.sort(key=_key)
    result = []
    for index, period in enumerate(periods):
        early, late = _funding(period, credits, movements)
        result.append(
            PeriodHistory(
                period=period,
                holds=tuple(_clip(h, period) for h in holds if _overlaps(h, period)),
                carry={team: sum(d[: index + 1]) for team, d in team_balances.items()},
                org_balance=sum(org_balance[: index + 1]) + early,
                credits=late,
            )
        )
    return LedgerHistory(tuple(result), first)


def _funding(
    period: Period, credits: list[Transaction], movements: list[Key]
) -> tuple[int, tuple[tuple[Key, int], ...]]:
    """The credits of ``period`` that funded its opening apply (made before its first
    reconciler movement: the replay moves that apply to the period start, so they go with it),
    and the others, replayed when they were made."""
    opened = min((k for k in movements if period.contains(k[0])), default=None)
    early, late = 0, []
    for credit in credits:
        if not period.contains(credit.created_at):
            continue
        if opened is not None and _key(credit) < opened:
            early += credit.amount
        else:
            late.append((_key(credit), credit.amount))
    return early, tuple(late)


def _hold(request_id: str, request: _Request) -> Hold:
    assert request.reserved is not None
    return Hold(
        request_id=request_id,
        team_id=request.team_id,
        paid_by=request.paid_by,
        reserved=request.reserved,
        estimate=request.estimate,
        closed=request.closed,
        actual=request.actual,
    )


def _overlaps(hold: Hold, period: Period) -> bool:
    if hold.reserved[0] >= period.end:
        return False
    return hold.closed is None or hold.closed[0] >= period.start


def _clip(hold: Hold, period: Period) -> Hold:
    reserved = hold.reserved if hold.reserved[0] >= period.start else opening_key(period)
    closed = hold.closed if hold.closed is not None and hold.closed[0] < period.end else None
    if reserved == hold.reserved and closed == hold.closed:
        return hold
    return Hold(
        hold.request_id,
        hold.team_id,
        hold.paid_by,
        reserved,
        hold.estimate,
        closed,
        hold.actual if closed is not None else 0,
    )


def replayable(history: LedgerHistory) -> tuple[PeriodHistory, ...]:
    """The periods that end after the ledger's first entry (the others have no history)."""
    first = history.first_entry
    return tuple(h for h in history.periods if first is not None and h.period.end > first)
