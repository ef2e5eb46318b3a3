"""Golden plans for the sample organization in budgets/, loaded by the real config loader."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler import config
from reconciler.history import History, routing_changes
from reconciler.ledger.base import Observed
from reconciler.model import ConsumerGroup, DesiredState
from reconciler.planning import planner
from reconciler.planning.types import Plan, RoutingChange
from reconciler.render.plan import render_json, render_markdown, render_text
from tests.support.golden import assert_golden
from tests.support.planning import COMMIT, LONG_AGO, NOW, Ledger, flow, m, our_flow, wallet

TEAMS = {
    "team_data_platform": 6000,
    "team_engineering": 12000,
    "team_legal": 1500,
    "team_marketing": 4500,
    "team_research": 9000,
    "team_support": 8000,
}


@pytest.fixture
def sample(repo_root: Path) -> DesiredState:
    state, warnings = config.load(repo_root / "budgets")
    assert warnings == ()
    assert {t.id: t.envelope for t in state.teams} == {k: m(v) for k, v in TEAMS.items()}
    return state


def _plan(
    state: DesiredState,
    observed: Observed,
    *,
    now: datetime = NOW,
    routing: tuple[RoutingChange, ...] = (),
) -> Plan:
    return planner.plan(
        state,
        observed,
        History(
            commit=COMMIT,
            dirty=False,
            managed_since=dict.fromkeys(TEAMS, LONG_AGO),
            previous_envelopes={team_id: m(amount) for team_id, amount in TEAMS.items()},
            routing=routing,
        ),
        now=now,
        ledger_url="sqlite:///.reconciler/sandbox.db",
    )


def _golden(name: str, plan: Plan) -> None:
    assert_golden(f"plans/{name}.txt", render_text(plan, color=False))
    assert_golden(f"plans/{name}.json", render_json(plan))
    assert_golden(f"plans/{name}.md", render_markdown(plan))


def _settled() -> Ledger:
    """Mid-period: every envelope allocated by reconciler, some of it spent or reserved."""
    led = Ledger(org_available=59_000)
    spent = {"team_engineering": 7400, "team_support": 7900, "team_research": 1000}
    for team_id, envelope in TEAMS.items():
        left = envelope - spent.get(team_id, 0)
        held = 0 if team_id == "team_data_platform" else min(left, 100)  # balance mode: topped up
        led.add(team_id, balance=left, reserved=held, flows=(our_flow(team_id, envelope),))
    return led


def test_first_plan_on_a_fresh_sandbox(sample: DesiredState) -> None:
    plan = _plan(sample, Ledger(org_available=100_000).observed())
    assert plan.allocate_total == m(41_000)
    _golden("sample_org_first_plan", plan)


def test_after_apply_nothing_to_do(sample: DesiredState) -> None:
    plan = _plan(sample, _settled().observed())
    assert (plan.changes, plan.deficits, plan.drift) == ((), (), ())
    _golden("sample_org_no_changes", plan)


def test_budget_pull_request(sample: DesiredState) -> None:
    """A PR raises engineering, lowers support (protected) and marketing, retires legal;
    a console top-up on data-platform is corrected, a wallet nobody declared is listed."""
    envelopes = {"team_engineering": 15000, "team_support": 6000, "team_marketing": 3000}
    teams = tuple(
        replace(
            t,
            envelope=m(envelopes.get(t.id, t.envelope // 1_000_000)),
            removed=t.id == "team_legal",
        )
        for t in sample.teams
    )
    assert sample.gateway is not None
    gateway = replace(
        sample.gateway,
        consumer_groups=(
            *(g for g in sample.gateway.consumer_groups if g.wallet_team_id != "team_legal"),
            ConsumerGroup("contracts", "team_engineering"),
        ),
    )
    state = replace(sample, teams=teams, gateway=gateway)
    led = _settled()
    console = flow(
        "team_data_platform",
        750,
        at=datetime(2026, 11, 12, 10, 15, tzinfo=UTC),
        actor="console:jane@acme.example",
        note="quick top-up for the backfill",
    )
    dp = led.teams["team_data_platform"]
    led.add(
        "team_data_platform",
        balance=6750,
        flows=(*dp.flows, console),
    )
    led.extra_wallets.append(wallet("team_sandbox_experiments", 320))
    routing = routing_changes(sample.gateway, gateway)
    plan = _plan(state, led.observed(), routing=routing)
    assert [(c.action.value, c.team_id) for c in plan.changes] == [
        ("reclaim", "team_data_platform"),
        ("reclaim", "team_legal"),
        ("reclaim", "team_marketing"),
        ("allocate", "team_engineering"),
    ]
    _golden("sample_org_pull_request", plan)


def test_next_period_brings_wallets_back_to_their_envelopes(sample: DesiredState) -> None:
    led = Ledger(org_available=60_000)
    carry = {"team_engineering": 1200, "team_support": 0, "team_research": 3500}
    for team_id, envelope in TEAMS.items():
        left = carry.get(team_id, envelope // 4)
        led.add(team_id, balance=left, carry=left)
    plan = _plan(sample, led.observed(), now=datetime(2026, 12, 1, 0, 5, tzinfo=UTC))
    _golden("sample_org_next_period", plan)
