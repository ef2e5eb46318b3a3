"""The ``Ledger`` protocol: what reconciler needs from a wallet service, and its value types.

Two implementations: ``SqliteLedger`` (the embedded sandbox) and ``HttpLedger`` (the Keeptrusts
API, or the sandbox server). One contract test suite runs against both.

Amounts are integer micro-USD. Transaction ``amount`` is signed, by type:

    credit, allocation_in   +X   balance += X
    allocation_out          -X   balance -= X
    reservation             -X   hold placed: reserved += X (balance unchanged)
    settlement              -X   actual cost charged: balance -= X, reserved -= X
    refund                  +X   surplus of a settled hold released: reserved -= X
    expiry                  +X   hold of an unsettled reservation released: reserved -= X
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, Protocol, runtime_checkable

from reconciler.periods import Period


class Scope(enum.StrEnum):
    ORGANIZATION = "organization"
    TEAM = "team"
    USER = "user"


class EntryType(enum.StrEnum):
    CREDIT = "credit"
    ALLOCATION_IN = "allocation_in"
    ALLOCATION_OUT = "allocation_out"
    RESERVATION = "reservation"
    SETTLEMENT = "settlement"
    REFUND = "refund"
    EXPIRY = "expiry"


ALLOCATION_TYPES = frozenset({EntryType.ALLOCATION_IN, EntryType.ALLOCATION_OUT})
CONSUMPTION_TYPES = frozenset(
    {EntryType.RESERVATION, EntryType.SETTLEMENT, EntryType.REFUND, EntryType.EXPIRY}
)
BALANCE_TYPES = frozenset(
    {EntryType.CREDIT, EntryType.ALLOCATION_IN, EntryType.ALLOCATION_OUT, EntryType.SETTLEMENT}
)


class WalletStatus(enum.StrEnum):
    HEALTHY = "Healthy"
    LOW = "Low"
    DEPLETED = "Depleted"


LOW_PERCENT = 10


def status_of(available: int, funding: int) -> WalletStatus:
    """The console's status: Depleted when available <= 0, Low under 10% of the funding."""
    if available <= 0:
        return WalletStatus.DEPLETED
    if available * 100 < funding * LOW_PERCENT:
        return WalletStatus.LOW
    return WalletStatus.HEALTHY


@dataclass(frozen=True, slots=True)
class Wallet:
    id: str
    scope: Scope
    owner_id: str  # org id, team id or user id
    name: str
    currency: str
    balance: int
    reserved: int
    total_allocated: int
    total_spent: int
    status: WalletStatus

    @property
    def available(self) -> int:
        return self.balance - self.reserved


@dataclass(frozen=True, slots=True)
class Transaction:
    id: str
    wallet_id: str
    type: EntryType
    amount: int  # signed micros, see the module docstring
    balance_after: int
    note: str | None
    created_at: datetime  # UTC, aware
    scope: Scope | None = None
    owner_id: str | None = None
    request_id: str | None = None
    actor: str | None = None  # who made the movement (token subject, "console", ...)
    # Gateway holds only: who the request was for (the reserve call's user, its team — given
    # or mapped from the consumer group — and consumer group). None when the ledger does not
    # say; spend is then attributed by the paying wallet alone.
    user_id: str | None = None
    team_id: str | None = None
    consumer_group: str | None = None
    # This write was answered by an idempotent replay: the entry existed before this call
    # (made by an earlier call with the same idempotency key). About the call, not the entry,
    # so it takes no part in equality.
    replayed: bool = field(default=False, compare=False)


class Settled(NamedTuple):
    """A settlement as the spend figures read it (``usage``: whose spend, which day, how much):
    a ``Transaction``'s fields, without the rest of the entry."""

    created_at: datetime  # UTC, aware
    amount: int  # signed micros (a settlement is negative: spend)
    scope: Scope | None
    owner_id: str | None
    team_id: str | None
    consumer_group: str | None

    @classmethod
    def of(cls, entry: Transaction) -> Settled:
        return cls(
            entry.created_at,
            entry.amount,
            entry.scope,
            entry.owner_id,
            entry.team_id,
            entry.consumer_group,
        )


@dataclass(frozen=True, slots=True)
class Reservation:
    reservation_id: str
    wallet_id: str
    scope: Scope


@dataclass(frozen=True, slots=True)
class CostTicket:
    """A gateway request that no wallet of the cascade covered (HTTP 402), held as a ticket."""

    request_id: str
    user_id: str | None
    team_id: str | None  # given, or the team its consumer group maps to
    consumer_group: str | None
    estimated_cost: int  # micros
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TeamObservation:
    """The ledger as the planner needs it for one team wallet and one period.

    ``flows`` are the wallet's allocation_in/allocation_out entries with ``created_at`` in the
    period, oldest first; ``carry`` is the wallet balance at the period start. ``wallet`` is None
    when the team has no wallet yet (every amount is then 0).
    """

    team_id: str
    wallet: Wallet | None
    flows: tuple[Transaction, ...]
    carry: int

    @property
    def balance(self) -> int:
        return self.wallet.balance if self.wallet else 0

    @property
    def reserved(self) -> int:
        return self.wallet.reserved if self.wallet else 0

    @property
    def available(self) -> int:
        return self.wallet.available if self.wallet else 0


@runtime_checkable
class Ledger(Protocol):
    """A wallet service. Writes take a one-line ``note`` and an optional idempotency key."""

    def organization_wallet(self) -> Wallet: ...

    def list_wallets(self) -> list[Wallet]: ...

    def team_wallet(self, team_id: str) -> Wallet | None: ...

    def transactions(
        self,
        wallet_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[Transaction]:
        """Entries of one wallet with since <= created_at < until, oldest first (all pages)."""
        ...

    def credit(
        self, amount: int, *, note: str = "", idempotency_key: str | None = None
    ) -> Transaction: ...

    def allocate(
        self, team_id: str, amount: int, *, note: str = "", idempotency_key: str | None = None
    ) -> Transaction:
        """Org -> team. Returns the team wallet's ``allocation_in`` entry."""
        ...

    def reclaim(
        self, team_id: str, amount: int, *, note: str = "", idempotency_key: str | None = None
    ) -> Transaction:
        """Team -> org. Returns the team wallet's ``allocation_out`` entry."""
        ...

    def observe(self, team_ids: Iterable[str], period: Period) -> dict[str, TeamObservation]: ...

    def close(self) -> None: ...


@runtime_checkable
class PagedLedger(Protocol):
    """A ledger that also answers one page of a wallet's entries (both of ours do)."""

    def transactions_page(
        self,
        wallet_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = ...,
        cursor: str | None = None,
    ) -> tuple[list[Transaction], str | None]: ...


def has_entries_before(ledger: Ledger, wallet_id: str, moment: datetime) -> bool:
    """Whether the wallet has any entry before ``moment``: one entry read, not the history."""
    if isinstance(ledger, PagedLedger):
        page, _cursor = ledger.transactions_page(wallet_id, until=moment, limit=1)
        return bool(page)
    return next(iter(ledger.transactions(wallet_id, until=moment)), None) is not None


def observation_from_entries(
    team_id: str, wallet: Wallet | None, entries: Iterable[Transaction], period: Period
) -> TeamObservation:
    """One team's observation from its wallet's entries (oldest first): the allocation flows in
    ``period`` and the balance at its start. The one place this rule is written down."""
    if wallet is None:
        return TeamObservation(team_id, None, (), 0)
    carry = 0
    flows: list[Transaction] = []
    for entry in entries:
        if entry.created_at < period.start:
            if entry.type in BALANCE_TYPES:
                carry += entry.amount
        elif entry.created_at < period.end and entry.type in ALLOCATION_TYPES:
            flows.append(entry)
    return TeamObservation(team_id, wallet, tuple(flows), carry)


@dataclass(frozen=True, slots=True)
class SinceStart:
    """A wallet's entries since a period's start, summed as they were read (``since_start``):
    the period's allocation flows, their balance effect, the last ``balance_after``, and
    whether each entry's ``balance_after`` continued the one before it."""

    flows: tuple[Transaction, ...]
    effect: int
    last_balance: int | None
    chained: bool

    def observe(
        self, team_id: str, wallet: Wallet, *, read_after: bool = False
    ) -> TeamObservation | None:
        """The observation with ``carry`` = ``wallet``'s balance minus the entries' effect, or
        None when they do not agree and only the whole history says what the balance at the
        start was.

        They agree when the entries end at the wallet's balance (the last one's
        ``balance_after``). A wallet read before the entries (``read_after`` False) must also
        see them chain (each ``balance_after`` continues the one before): entries listed out of
        the order they were made in (one instant for two, a ledger clock that stepped back) can
        end at its balance while a movement made after it was read sits earlier in the list.
        """
        if not (read_after or self.chained) or self.last_balance not in (None, wallet.balance):
            return None
        return TeamObservation(team_id, wallet, self.flows, wallet.balance - self.effect)


def since_start(entries: Iterable[Transaction], period: Period) -> SinceStart:
    """Sum a wallet's entries since ``period.start`` (oldest first), held one at a time."""
    effect = 0
    last_balance: int | None = None
    chained = True
    flows: list[Transaction] = []
    for entry in entries:
        if entry.created_at < period.start:
            continue  # a ledger that ignores ``since``: the rule still holds
        moved = entry.amount if entry.type in BALANCE_TYPES else 0
        if last_balance is not None and entry.balance_after != last_balance + moved:
            chained = False
        effect += moved
        if entry.created_at < period.end and entry.type in ALLOCATION_TYPES:
            flows.append(entry)
        last_balance = entry.balance_after
    return SinceStart(tuple(flows), effect, last_balance, chained)


def observation_since_start(
    team_id: str, wallet: Wallet, entries: Iterable[Transaction], period: Period
) -> TeamObservation | None:
    """One team's observation from its wallet and only the entries since ``period.start``
    (oldest first, read after the wallet), or None when they do not agree
    (``SinceStart.observe``)."""
    return since_start(entries, period).observe(team_id, wallet)


def observe_from_transactions(
    ledger: Ledger, team_ids: Iterable[str], period: Period
) -> dict[str, TeamObservation]:
    """Default ``observe``: one wallet list, then each team's transactions up to now."""
    wallets = {w.owner_id: w for w in ledger.list_wallets() if w.scope is Scope.TEAM}
    result: dict[str, TeamObservation] = {}
    for team_id in team_ids:
        wallet = wallets.get(team_id)
        entries = ledger.transactions(wallet.id) if wallet is not None else ()
        result[team_id] = observation_from_entries(team_id, wallet, entries, period)
    return result


@dataclass(frozen=True, slots=True)
class Observed:
    """The ledger as read for one plan: the org wallet, every team wallet, and per managed team
    its observation for the period (``Ledger.observe``)."""

    org_wallet: Wallet
    team_wallets: tuple[Wallet, ...]
    teams: Mapping[str, TeamObservation]
