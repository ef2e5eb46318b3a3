"""Spend by team against envelopes, from the ledger's settlements (DESIGN §1: decide from usage).

Keeptrusts documents no usage-by-team API, so the settlements are the spend series. Each
settlement is attributed once, to the first of: the team its request was for (the ledger
records it for gateway holds), the team its consumer group maps to in the budgets, the team
whose wallet paid. A settlement with none of these, or naming a team the budgets do not
manage, is ``unattributed_spent`` of the organization. So, exactly:

    Σ teams[].spent + organization.unattributed_spent = Σ settlements of the period

``funded_by_team_wallet`` is the part of a team's spend its own wallet paid; ``fell_through``
the rest (paid by a user or the organization wallet). Grouping ``--by consumer-group`` or
``user`` lists spend per key instead (no envelope applies there).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Protocol, runtime_checkable

from reconciler.errors import UsageError
from reconciler.forecast import Forecast, cannot_run_out, forecast, projects
from reconciler.ledger.base import (
    CostTicket,
    EntryType,
    Ledger,
    Scope,
    Settled,
    Transaction,
    Wallet,
    status_of,
)
from reconciler.model import DesiredState, Team
from reconciler.periods import Period, PeriodKind, period_at, period_from_id

HISTORY_DAYS = 56  # settlements before the period feed the smoothed forecast (8 weeks)
BY = ("team", "consumer-group", "user")


@runtime_checkable
class TicketSource(Protocol):
    def cost_tickets(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[CostTicket]: ...


@dataclass(frozen=True, slots=True)
class TeamUsage:
    team_id: str
    name: str
    envelope: int
    allocated: int
    spent: int
    funded_by_team_wallet: int
    fell_through: int
    reserved: int
    available: int
    utilization: Decimal | None  # spent / envelope, 4 places; None when the envelope is 0
    forecast: Forecast
    cost_tickets: int | None  # None when the ledger does not record them
    status: str


@dataclass(frozen=True, slots=True)
class GroupUsage:
    key: str  # consumer group or user id ("(none)" when the request named none)
    spent: int
    settlements: int


@dataclass(frozen=True, slots=True)
class Usage:
    org_id: str
    period: Period
    now: datetime
    by: str
    teams: tuple[TeamUsage, ...]
    groups: tuple[GroupUsage, ...]
    total_spent: int
    unattributed_spent: int
    org_available: int
    unattributed_cost_tickets: int | None


def period_for(kind_text: str, period_id: str | None, now: datetime) -> Period:
    """The current period, or ``period_id``: of the budgets' kind and not in the future."""
    kind = PeriodKind(kind_text)
    current = period_at(kind, now)
    if period_id is None:
        return current
    try:
        period = period_from_id(kind, period_id)
    except ValueError as exc:
        raise UsageError(f"--period: {exc}: the budgets' periods are {kind.value}") from exc
    if period.start > now:
        raise UsageError(
            f"--period {period_id} has not started yet (the current period is {current.id}): "
            "pass the current period or an earlier one"
        )
    return period


def attribute(entry: Transaction | Settled, mapping: dict[str, str]) -> str | None:
    """The team a settlement is spend of (see the module docstring), or None."""
    if entry.team_id:
        return entry.team_id
    if entry.consumer_group and entry.consumer_group in mapping:
        return mapping[entry.consumer_group]
    if entry.scope is Scope.TEAM:
        return entry.owner_id
    return None


@runtime_checkable
class SettlementSource(Protocol):
    """A ledger that reads every wallet's settlements in one call (the sandbox does)."""

    def settlements(
        self, *, since: datetime, until: datetime, wallets: Sequence[Wallet] | None = None
    ) -> list[Transaction]: ...


@runtime_checkable
class SettledSource(Protocol):
    """A ledger that reads every wallet's settlements as ``Settled`` values in one call."""

    def settled(self, *, since: datetime, until: datetime) -> list[Settled]: ...


def settlements(
    ledger: Ledger, wallets: Sequence[Wallet] | None, since: datetime, until: datetime
) -> list[Transaction]:
    """Every settlement entry of ``wallets`` (a wallet list the caller has just read; None: the
    ledger's wallets, listed here) with since <= created_at < until."""
    if isinstance(ledger, SettlementSource):
        return ledger.settlements(since=since, until=until, wallets=wallets)
    found: list[Transaction] = []
    for wallet in ledger.list_wallets() if wallets is None else wallets:
        found.extend(
            e
            for e in ledger.transactions(wallet.id, since=since, until=until)
            if e.type is EntryType.SETTLEMENT
        )
    return found


class _Tally:
    """Sums of settlements: per team (period and daily history), per group key, in total."""

    def __init__(self, mapping: dict[str, str], managed: set[str], period: Period, by: str):
        self.mapping, self.managed, self.period, self.by = mapping, managed, period, by
        self.spent: dict[str, int] = defaultdict(int)
        self.own: dict[str, int] = defaultdict(int)
        self.daily: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
        self.groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self.total = self.unattributed = 0

    def add(self, entry: Transaction) -> None:
        found = attribute(entry, self.mapping)
        owner = found if found in self.managed else None
        cost = -entry.amount
        if owner is not None:
            self.daily[owner][entry.created_at.date()] += cost
        if not self.period.contains(entry.created_at):
            return
        self.total += cost
        key = entry.consumer_group if self.by == "consumer-group" else entry.user_id
        self.groups[key or "(none)"][0] += cost
        self.groups[key or "(none)"][1] += 1
        if owner is None:
            self.unattributed += cost
            return
        self.spent[owner] += cost
        if entry.scope is Scope.TEAM and entry.owner_id == owner:
            self.own[owner] += cost


def compute(
    desired: DesiredState, ledger: Ledger, period: Period, now: datetime, *, by: str = "team"
) -> Usage:
    """Usage of ``period`` as of ``now`` (the period's end for a past period)."""
    as_of = min(now, period.end)
    wallets = ledger.list_wallets()
    managed = {t.id for t in desired.teams if not t.removed}
    tally = _tally(desired, ledger, wallets, period, as_of, by)
    spent, own, groups = tally.spent, tally.own, tally.groups
    total, unattributed = tally.total, tally.unattributed
    tickets = _tickets(ledger, period, as_of)
    observed = ledger.observe(sorted(managed), period)
    rows = []
    for team in desired.teams:
        if team.id not in managed:
            continue
        obs = observed[team.id]
        team_spent = spent[team.id]
        result = _forecast(team, period, as_of, tally)
        rows.append(
            TeamUsage(
                team_id=team.id,
                name=team.name,
                envelope=team.envelope,
                allocated=sum(f.amount for f in obs.flows),
                spent=team_spent,
                funded_by_team_wallet=own[team.id],
                fell_through=team_spent - own[team.id],
                reserved=obs.reserved,
                available=obs.available,
                utilization=(
                    (Decimal(team_spent) / team.envelope).quantize(Decimal("0.0001"))
                    if team.envelope
                    else None
                ),
                forecast=result,
                cost_tickets=None
                if tickets is None
                else sum(1 for t in tickets if t.team_id == team.id),
                status=status_of(team.envelope - team_spent, team.envelope).value,
            )
        )
    org = next(w for w in wallets if w.scope is Scope.ORGANIZATION)
    return Usage(
        org_id=desired.organization.id,
        period=period,
        now=as_of,
        by=by,
        teams=tuple(rows),
        groups=tuple(
            GroupUsage(k, v[0], v[1])
            for k, v in sorted(groups.items(), key=lambda kv: (-kv[1][0], kv[0]))
        )
        if by != "team"
        else (),
        total_spent=total,
        unattributed_spent=unattributed,
        org_available=org.available,
        unattributed_cost_tickets=None
        if tickets is None
        else sum(1 for t in tickets if t.team_id not in managed),
    )


def forecasts(
    desired: DesiredState,
    ledger: Ledger,
    period: Period,
    now: datetime,
    *,
    running_out: bool = False,
) -> dict[str, tuple[int, Forecast]]:
    """Each managed team's spend in ``period`` and its forecast as of ``now``: what ``compute``
    says of them, without the wallet observations and cost tickets (the plan has its own), from
    the settlements' ``Settled`` fields only. ``running_out``: only the teams whose envelope
    the forecast may see run out (``forecast.cannot_run_out`` leaves the others out; none
    is read when the forecast projects nothing yet, ``forecast.projects``)."""
    as_of = min(now, period.end)
    if running_out and not projects(start=period.start, end=period.end, now=as_of):
        return {}
    since = period.start - timedelta(days=HISTORY_DAYS)
    if isinstance(ledger, SettledSource):
        found = ledger.settled(since=since, until=as_of)
    else:
        found = [Settled.of(e) for e in settlements(ledger, None, since, as_of)]
    spent, daily = _spend(desired, found, period)
    result: dict[str, tuple[int, Forecast]] = {}
    for team in desired.teams:
        if team.removed:
            continue
        team_spent, series = spent.get(team.id, 0), daily.get(team.id, {})
        if running_out and cannot_run_out(
            end=period.end, now=as_of, spent=team_spent, limit=team.envelope, series=series
        ):
            continue
        result[team.id] = (
            team_spent,
            forecast(
                start=period.start,
                end=period.end,
                now=as_of,
                spent=team_spent,
                limit=team.envelope,
                series=series,
            ),
        )
    return result


def _spend(
    desired: DesiredState, found: Iterable[Settled], period: Period
) -> tuple[dict[str, int], dict[str, dict[date, int]]]:
    """Per managed team: its spend in ``period`` and its daily spend over all of ``found``
    (``_Tally.spent`` and ``_Tally.daily``, without the group and organization sums)."""
    mapping = _mapping(desired)
    managed = {t.id for t in desired.teams if not t.removed}
    spent: dict[str, int] = defaultdict(int)
    daily: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for entry in found:
        owner = attribute(entry, mapping)
        if owner not in managed:
            continue
        daily[owner][entry.created_at.date()] -= entry.amount
        if period.contains(entry.created_at):
            spent[owner] -= entry.amount
    return spent, daily


def _mapping(desired: DesiredState) -> dict[str, str]:
    """Consumer group -> the team its wallet is (the budgets' gateway mapping)."""
    if desired.gateway is None:
        return {}
    return {g.id: g.wallet_team_id for g in desired.gateway.consumer_groups}


def _tally(
    desired: DesiredState,
    ledger: Ledger,
    wallets: Sequence[Wallet],
    period: Period,
    as_of: datetime,
    by: str,
) -> _Tally:
    """The settlements from the forecast's history window up to ``as_of``, summed."""
    managed = {t.id for t in desired.teams if not t.removed}
    tally = _Tally(_mapping(desired), managed, period, by)
    history_start = period.start - timedelta(days=HISTORY_DAYS)
    for entry in settlements(ledger, wallets, history_start, as_of):
        tally.add(entry)
    return tally


def _forecast(team: Team, period: Period, as_of: datetime, tally: _Tally) -> Forecast:
    return forecast(
        start=period.start,
        end=period.end,
        now=as_of,
        spent=tally.spent[team.id],
        limit=team.envelope,
        series=tally.daily[team.id],
    )


def _tickets(ledger: Ledger, period: Period, as_of: datetime) -> list[CostTicket] | None:
    if not isinstance(ledger, TicketSource):
        return None
    return ledger.cost_tickets(since=period.start, until=as_of)
