"""Builders for planner inputs: a DesiredState and an Observed without YAML or a ledger.

Amounts are given in whole credits (``int``/``str``/``Decimal``) and converted to micros.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from reconciler import money, notes
from reconciler.ledger.base import (
    EntryType,
    Observed,
    Scope,
    TeamObservation,
    Transaction,
    Wallet,
    WalletStatus,
)
from reconciler.model import (
    DesiredState,
    DriftPolicy,
    Guards,
    Mode,
    Organization,
    Team,
)
from reconciler.periods import PeriodKind

Amount = int | str | Decimal

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
PERIOD_START = datetime(2026, 11, 1, tzinfo=UTC)
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
COMMIT = "c0ffee" + "0" * 34
OTHER_COMMIT = "beef" * 10


def m(amount: Amount) -> int:
    """Micros of an amount in credits."""
    return money.to_micros(Decimal(str(amount)))


def organization(
    *,
    org_id: str = "org_acme",
    period: PeriodKind = PeriodKind.MONTHLY,
    headroom: Amount = 5000,
    max_movement: Amount | None = None,
    max_reclaim: Amount | None = None,
) -> Organization:
    return Organization(
        id=org_id,
        period=period,
        headroom=m(headroom),
        mode=Mode.PERIOD,
        rollover=False,
        drift=DriftPolicy.WARN,
        guards=Guards(
            max_movement_per_apply=None if max_movement is None else m(max_movement),
            max_reclaim_per_apply=None if max_reclaim is None else m(max_reclaim),
        ),
    )


def team(
    team_id: str,
    envelope: Amount,
    *,
    mode: Mode = Mode.PERIOD,
    rollover: bool = False,
    drift: DriftPolicy = DriftPolicy.WARN,
    protect: bool = False,
    removed: bool = False,
) -> Team:
    return Team(
        id=team_id,
        name=team_id.removeprefix("team_").title(),
        envelope=m(envelope),
        mode=mode,
        rollover=rollover,
        drift=drift,
        protect=protect,
        removed=removed,
    )


def desired(org: Organization, *teams: Team) -> DesiredState:
    return DesiredState(
        root=Path("budgets"), organization=org, teams=tuple(sorted(teams, key=lambda t: t.id))
    )


def wallet(
    owner_id: str, balance: Amount, reserved: Amount = 0, *, scope: Scope = Scope.TEAM
) -> Wallet:
    return Wallet(
        id=f"w_{owner_id}",
        scope=scope,
        owner_id=owner_id,
        name=owner_id,
        currency="USD",
        balance=m(balance),
        reserved=m(reserved),
        total_allocated=0,
        total_spent=0,
        status=WalletStatus.HEALTHY,
    )


def ours(commit: str = OTHER_COMMIT, team_id: str = "team_x", op: str = "0" * 16) -> str:
    return notes.format_note(
        notes.Note(
            commit=commit, plan_id="a1b2c3d4e5f6", op_key=op, team_id=team_id, period_id="2026-11"
        )
    )


def flow(
    team_id: str,
    amount: Amount,
    *,
    at: datetime = datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
    note: str | None = None,
    actor: str | None = None,
    flow_id: str | None = None,
) -> Transaction:
    """An allocation flow on the team wallet: positive = allocation_in, negative = out."""
    micros = m(amount)
    return Transaction(
        id=flow_id or f"tx_{team_id}_{at:%d%H%M}_{micros}",
        wallet_id=f"w_{team_id}",
        type=EntryType.ALLOCATION_IN if micros >= 0 else EntryType.ALLOCATION_OUT,
        amount=micros,
        balance_after=0,
        note=note,
        created_at=at,
        scope=Scope.TEAM,
        owner_id=team_id,
        actor=actor,
    )


def our_flow(team_id: str, amount: Amount, **kwargs: object) -> Transaction:
    return flow(team_id, amount, note=ours(team_id=team_id), **kwargs)  # type: ignore[arg-type]


@dataclass
class Ledger:
    """A mutable observation under construction (what ``Ledger.observe`` would return)."""

    org_available: Amount = 100_000
    teams: dict[str, TeamObservation] = field(default_factory=dict)
    extra_wallets: list[Wallet] = field(default_factory=list)

    def add(
        self,
        team_id: str,
        *,
        balance: Amount,
        reserved: Amount = 0,
        carry: Amount = 0,
        flows: tuple[Transaction, ...] = (),
    ) -> Ledger:
        self.teams[team_id] = TeamObservation(
            team_id, wallet(team_id, balance, reserved), flows, m(carry)
        )
        return self

    def observed(self) -> Observed:
        team_wallets = [o.wallet for o in self.teams.values() if o.wallet is not None]
        return Observed(
            org_wallet=wallet("org_acme", self.org_available, scope=Scope.ORGANIZATION),
            team_wallets=tuple(sorted([*team_wallets, *self.extra_wallets], key=lambda w: w.id)),
            teams=dict(self.teams),
        )


def with_wallet(obs: TeamObservation, balance: int, reserved: int) -> TeamObservation:
    assert obs.wallet is not None
    return replace(obs, wallet=replace(obs.wallet, balance=balance, reserved=reserved))
