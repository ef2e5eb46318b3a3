"""What-if: replay recorded spend against envelopes, period by period (docs/whatif.md). Pure.

Each period is replayed from its start. Every team wallet is first brought to what the
planner's own rule (``rules.decide``) wants for the envelope at the period start — carry and
``rollover``, ``mode: balance``, ``protect``, ``removed`` — and the organization wallet gives or
takes the difference. Nothing else moves between the organization and the teams during the
period. Then the recorded gateway holds run again in ledger order (time, then entry id), through
the same cascade as the wallet service: a hold a user wallet paid stays the user's (envelopes
never change the first step of the cascade); otherwise the team wallet takes it when its
available covers the estimate, else the organization wallet when its available does, else it
is refused (HTTP 402). A settlement charges the actual cost to the wallet that holds it and
releases the hold; an expiry releases it. Organization credits are replayed as recorded.

Per team: the instant its wallet first could not cover a hold (it ran out), the spend that
fell through to the organization wallet (and how much of it while the organization was below
its headroom), the spend refused, and the balance left at the period end (returned to the
organization next period, or carried under ``rollover: true``). Per period: the organization's
lowest available. Amounts are integer micro-USD; nothing here reads a clock or a ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from reconciler.ledger.base import Scope, TeamObservation, Wallet, WalletStatus
from reconciler.model import DesiredState, Mode, Team
from reconciler.periods import Period
from reconciler.planning.rules import decide, is_managed
from reconciler.planning.types import Action

#: An event's place in the ledger's order: its time, then its entry id.
Key = tuple[datetime, str]


@dataclass(frozen=True, slots=True)
class Hold:
    """One gateway request as the ledger recorded it, clipped to one period.

    ``reserved`` is the reservation's key (the period start for a hold placed before it);
    ``closed`` the key of its settlement, refund or expiry, None when it closed after the period
    (or never). ``actual`` is the settled cost (0: released without spend).
    """

    request_id: str
    team_id: str | None  # the team it is spend of (usage.attribute), None: the organization's
    paid_by: Scope  # the wallet scope that held it in the ledger
    reserved: Key
    estimate: int
    closed: Key | None
    actual: int


@dataclass(frozen=True, slots=True)
class PeriodHistory:
    """What the ledger recorded for one period: holds in order, balances at the start, credits."""

    period: Period
    holds: tuple[Hold, ...]
    carry: Mapping[str, int]  # team wallet balances at the period start (teams with a wallet)
    org_balance: int  # organization wallet balance at the period start
    credits: tuple[tuple[Key, int], ...] = ()


@dataclass(frozen=True, slots=True)
class TeamOutcome:
    team_id: str
    envelope: int
    rollover: bool
    start: int  # the wallet's balance after the period-start movement
    spent: int  # attributed spend settled in the period (whoever paid)
    user_paid: int
    fell_through: int  # paid by the organization wallet
    below_headroom: int  # part of fell_through charged while the organization was below headroom
    refused: int  # settled cost of requests no wallet would have covered
    refused_requests: int
    ran_out_at: datetime | None  # first hold the team wallet could not cover
    unused: int  # the wallet's balance at the period end


@dataclass(frozen=True, slots=True)
class PeriodOutcome:
    period: Period
    teams: Mapping[str, TeamOutcome]
    headroom: int
    org_opening: int  # the organization wallet's available after the opening movements
    org_lowest: int  # the organization wallet's lowest available in the period
    org_lowest_at: datetime


def opening_key(period: Period) -> Key:
    """The key of a hold placed before ``period`` and still open at its start: it is replayed
    as placed at the start, before everything recorded in the period."""
    return (period.start, "")


class _Wallet:
    __slots__ = ("balance", "reserved")

    def __init__(self, balance: int) -> None:
        self.balance, self.reserved = balance, 0

    @property
    def available(self) -> int:
        return self.balance - self.reserved


def opening_balance(team: Team | None, carry: int, at: datetime) -> int:
    """The team wallet's balance after the planner's rule ran at ``at`` (the period start).

    No Team document: unmanaged, nothing moves. Otherwise ``rules.decide`` on a wallet holding
    ``carry`` with no flows yet in the period: its allocation or reclaim, or nothing (protect).
    """
    if team is None:
        return carry
    wallet = Wallet(
        f"whatif_{team.id}", Scope.TEAM, team.id, team.name, "USD", carry, 0, 0, 0,
        WalletStatus.HEALTHY,
    )  # fmt: skip
    observation = TeamObservation(team.id, wallet, (), carry)
    if not is_managed(team, observation):
        return carry
    decision = decide(team, observation, None, at, period_start=at)
    if decision.action is Action.ALLOCATE:
        return carry + decision.amount
    if decision.action is Action.RECLAIM:
        return carry - decision.amount
    return carry


def replay(
    desired: DesiredState, history: PeriodHistory, carry: Mapping[str, int] | None = None
) -> PeriodOutcome:
    """One period replayed against ``desired``; ``carry`` overrides the recorded team balances
    at the start (a replay of consecutive periods carries its own ending balances forward)."""
    period = history.period
    teams = {t.id: t for t in desired.teams}
    known = sorted({*teams, *history.carry, *(h.team_id for h in history.holds if h.team_id)})
    carried = {t: (carry or history.carry).get(t, 0) for t in known}
    wallets = {t: _Wallet(opening_balance(teams.get(t), carried[t], period.start)) for t in known}
    # the organization funds every opening movement from what it and the teams held at the start
    pool = history.org_balance + sum(history.carry.get(t, 0) for t in known)
    org = _Wallet(pool - sum(w.balance for w in wallets.values()))
    tally = {t: _Tally(wallets[t].balance) for t in known}
    opening = org.available
    lowest = (opening, period.start)
    headroom = desired.organization.headroom
    holder: dict[int, _Wallet | None] = {}  # hold index -> wallet that holds it (None: refused)
    below: set[int] = set()
    for _key, kind, index in _events(history):
        if kind == _CREDIT:
            org.balance += history.credits[index][1]
            continue
        hold = history.holds[index]
        row = tally[hold.team_id] if hold.team_id else None
        if kind == _RESERVE:
            if hold.paid_by is Scope.USER:
                continue
            wallet = _cascade(wallets.get(hold.team_id or ""), org, hold.estimate)
            holder[index] = wallet
            if wallet is not None:
                wallet.reserved += hold.estimate
            missed = row is not None and wallet is not wallets.get(hold.team_id or "")
            if missed and hold.reserved != opening_key(period):  # placed before: not a run-out
                assert row is not None
                row.ran_out(hold.reserved[0])
            if wallet is org and org.available < headroom:
                below.add(index)
        else:
            wallet = holder.pop(index, None)
            if hold.paid_by is Scope.USER:
                if row is not None:
                    row.spent += hold.actual
                    row.user_paid += hold.actual
                continue
            if row is not None:
                row.settle(hold, wallet is org, wallet is None, index in below)
            if wallet is not None:
                wallet.reserved -= hold.estimate
                wallet.balance -= hold.actual
        if org.available < lowest[0]:
            lowest = (org.available, _key[0])
    outcomes = {
        t: tally[t].outcome(t, teams.get(t), wallets[t].balance) for t in known if t in teams
    }
    return PeriodOutcome(period, outcomes, headroom, opening, lowest[0], lowest[1])


def replay_all(desired: DesiredState, histories: Iterable[PeriodHistory]) -> list[PeriodOutcome]:
    """Consecutive periods, oldest first: each starts from the previous replay's balances."""
    results: list[PeriodOutcome] = []
    carry: dict[str, int] | None = None
    for history in histories:
        result = replay(desired, history, carry)
        carry = {**history.carry, **{t: o.unused for t, o in result.teams.items()}}
        results.append(result)
    return results


@dataclass(frozen=True, slots=True)
class Report:
    """The proposed envelopes and, side by side, those at the base revision, over the periods."""

    org_id: str
    periods: tuple[Period, ...]  # replayed, oldest first
    proposed: tuple[PeriodOutcome, ...]
    base: tuple[PeriodOutcome, ...] | None  # None: nothing to compare with
    base_commit: str | None
    team_ids: tuple[str, ...]  # the rows: teams of either side, sorted
    added: frozenset[str]  # teams only in the proposal
    no_history: frozenset[str]  # teams with no recorded spend and no wallet in the periods
    notes: tuple[str, ...] = ()
    as_of: datetime | None = None  # the last period is the current one, replayed up to here
    base_name: str = "at base"  # how a summary names the base side
    title: str = ""  # the heading's comparison, when not "base → proposed"


def compare(
    desired: DesiredState,
    histories: tuple[PeriodHistory, ...],
    *,
    base: DesiredState | None = None,
    base_commit: str | None = None,
    notes: tuple[str, ...] = (),
    as_of: datetime | None = None,
    base_name: str = "at base",
    title: str = "",
) -> Report:
    """Replay ``histories`` against ``desired`` and, when given, ``base``."""
    proposed = tuple(replay_all(desired, histories))
    before = tuple(replay_all(base, histories)) if base is not None else None
    ours = {t.id for t in desired.teams}
    theirs = {t.id for t in base.teams} if base is not None else set()
    seen = {t for h in histories for t in h.carry} | {
        h.team_id for history in histories for h in history.holds if h.team_id
    }
    return Report(
        org_id=desired.organization.id,
        periods=tuple(h.period for h in histories),
        proposed=proposed,
        base=before,
        base_commit=base_commit,
        team_ids=tuple(sorted(ours | theirs)),
        added=frozenset(ours - theirs) if base is not None else frozenset(),
        no_history=frozenset((ours | theirs) - seen),
        notes=notes,
        as_of=as_of,
        base_name=base_name,
        title=title,
    )


def with_envelopes(desired: DesiredState, envelopes: Mapping[str, int]) -> DesiredState:
    """``desired`` with the envelopes of some teams replaced (what ``suggest`` proposes)."""
    teams = tuple(
        replace(t, envelope=envelopes[t.id]) if t.id in envelopes else t for t in desired.teams
    )
    return replace(desired, teams=teams)


_CREDIT, _CLOSE, _RESERVE = 0, 1, 2


def _events(history: PeriodHistory) -> list[tuple[Key, int, int]]:
    """Credits, reserves and closes of the period in ledger order."""
    events: list[tuple[Key, int, int]] = [
        (key, _CREDIT, index) for index, (key, _amount) in enumerate(history.credits)
    ]
    for index, hold in enumerate(history.holds):
        events.append((hold.reserved, _RESERVE, index))
        if hold.closed is not None:
            events.append((hold.closed, _CLOSE, index))
    events.sort()
    return events


def _cascade(team: _Wallet | None, org: _Wallet, estimate: int) -> _Wallet | None:
    if team is not None and team.available >= estimate:
        return team
    return org if org.available >= estimate else None


class _Tally:
    __slots__ = (
        "below_headroom", "fell_through", "ran_out_at", "refused", "refused_requests", "spent",
        "start", "user_paid",
    )  # fmt: skip

    def __init__(self, start: int) -> None:
        self.start = start
        self.spent = self.user_paid = self.fell_through = self.below_headroom = 0
        self.refused = self.refused_requests = 0
        self.ran_out_at: datetime | None = None

    def ran_out(self, at: datetime) -> None:
        if self.ran_out_at is None:
            self.ran_out_at = at

    def settle(self, hold: Hold, by_org: bool, refused: bool, below: bool) -> None:
        if refused:
            self.refused += hold.actual
            self.refused_requests += 1
            return
        self.spent += hold.actual
        if by_org:
            self.fell_through += hold.actual
            if below:
                self.below_headroom += hold.actual

    def outcome(self, team_id: str, team: Team | None, unused: int) -> TeamOutcome:
        return TeamOutcome(
            team_id=team_id,
            envelope=0 if team is None or team.removed else team.envelope,
            rollover=bool(team and team.rollover and team.mode is Mode.PERIOD),
            start=self.start,
            spent=self.spent,
            user_paid=self.user_paid,
            fell_through=self.fell_through,
            below_headroom=self.below_headroom,
            refused=self.refused,
            refused_requests=self.refused_requests,
            ran_out_at=self.ran_out_at,
            unused=unused,
        )


__all__ = [
    "Hold",
    "PeriodHistory",
    "PeriodOutcome",
    "Report",
    "TeamOutcome",
    "compare",
    "opening_balance",
    "opening_key",
    "replay",
    "replay_all",
    "with_envelopes",
]
