"""How ``import`` picks each Team's envelope and settings so the first plan is empty.

Every choice is checked against the planner itself: the plan for the written Team, with all
flows adopted, moves nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from reconciler.importer import choose_team, default_organization
from reconciler.ledger.base import (
    EntryType,
    Scope,
    TeamObservation,
    Transaction,
    Wallet,
    WalletStatus,
)
from reconciler.model import Mode
from reconciler.periods import PeriodKind, period_at
from reconciler.planning.rules import decide
from tests.support.sqlite_ledger import usd

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PERIOD = period_at(PeriodKind.MONTHLY, NOW)


def observation(
    carry: str, flows: list[str], spent: str = "0.00", reserved: str = "0.00"
) -> TeamObservation:
    entries = tuple(
        Transaction(
            id=f"t{i}",
            wallet_id="w_team",
            type=EntryType.ALLOCATION_IN
            if not amount.startswith("-")
            else EntryType.ALLOCATION_OUT,
            amount=usd(amount),
            balance_after=0,
            note="console",
            created_at=datetime(2026, 11, 2 + i, tzinfo=UTC),
        )
        for i, amount in enumerate(flows)
    )
    balance = usd(carry) + sum(e.amount for e in entries) - usd(spent)
    wallet = Wallet(
        "w_team", Scope.TEAM, "team_a", "Team A", "USD", balance, usd(reserved), 0, 0,
        WalletStatus.HEALTHY,
    )  # fmt: skip
    return TeamObservation("team_a", wallet, entries, usd(carry))


def first_plan_moves(
    obs: TeamObservation, *, mode: Mode = Mode.PERIOD, rollover: bool = False
) -> bool:
    org = replace(default_organization("org_a"), mode=mode, rollover=rollover)
    team, warning = choose_team(obs.wallet, org, obs, PERIOD, NOW)  # type: ignore[arg-type]
    decision = decide(team, obs, NOW, NOW, period_start=PERIOD.start)
    assert (warning is None) == (decision.action is None and decision.deficit is None)
    return decision.action is not None


def test_period_mode_counts_the_carry_when_it_is_whole_cents() -> None:
    org = default_organization("org_a")
    obs = observation("3000.00", ["-500.00"], spent="120.00")
    team, warning = choose_team(obs.wallet, org, obs, PERIOD, NOW)  # type: ignore[arg-type]
    assert (team.envelope, team.rollover, team.mode, warning) == (
        usd("2500.00"),
        False,
        Mode.PERIOD,
        None,
    )
    assert team.name == "Team A"


def test_a_sub_cent_carry_makes_the_team_roll_over() -> None:
    org = default_organization("org_a")
    obs = observation("4876.543211", ["2000.00"])
    team, warning = choose_team(obs.wallet, org, obs, PERIOD, NOW)  # type: ignore[arg-type]
    assert (team.envelope, team.rollover, warning) == (usd("2000.00"), True, None)


def test_balance_mode_keeps_the_available_balance() -> None:
    org = replace(default_organization("org_a"), mode=Mode.BALANCE)
    obs = observation("1000.00", ["500.00"], spent="250.00", reserved="50.00")
    team, warning = choose_team(obs.wallet, org, obs, PERIOD, NOW)  # type: ignore[arg-type]
    assert (team.envelope, team.mode, warning) == (usd("1200.00"), Mode.BALANCE, None)


def test_balance_mode_with_sub_cent_spend_falls_back_to_period_mode() -> None:
    org = replace(default_organization("org_a"), mode=Mode.BALANCE)
    obs = observation("1000.00", ["500.00"], spent="0.123456")
    team, warning = choose_team(obs.wallet, org, obs, PERIOD, NOW)  # type: ignore[arg-type]
    assert (team.envelope, team.mode, team.rollover, warning) == (
        usd("1500.00"),
        Mode.PERIOD,
        False,
        None,
    )


def test_when_nothing_matches_the_nearest_envelope_is_written_with_a_warning() -> None:
    org = default_organization("org_a")
    obs = observation("10.004", ["0.001"])
    team, warning = choose_team(obs.wallet, org, obs, PERIOD, NOW)  # type: ignore[arg-type]
    assert team.envelope == usd("10.01")
    assert warning == (
        "team_a: no whole-cent envelope matches the ledger exactly (10.005); wrote 10.01, so "
        "the first plan will allocate 0.005"
    )


@pytest.mark.parametrize(
    ("carry", "flows", "spent", "mode", "rollover"),
    [
        ("0.00", [], "0.00", Mode.PERIOD, False),
        ("0.00", ["100.00"], "0.00", Mode.PERIOD, True),
        ("250.10", ["100.00", "-50.00"], "3.333333", Mode.PERIOD, False),
        ("250.10", ["100.00", "-300.00"], "0.00", Mode.PERIOD, True),
        ("77.777777", ["10.00"], "1.00", Mode.BALANCE, False),
        ("500.00", [], "12.50", Mode.BALANCE, True),
    ],
)
def test_the_first_plan_moves_nothing(
    carry: str, flows: list[str], spent: str, mode: Mode, rollover: bool
) -> None:
    assert not first_plan_moves(observation(carry, flows, spent), mode=mode, rollover=rollover)
