"""Named planner scenarios, one per rule of DESIGN §4, shared by the golden and CLI tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from reconciler.ledger.base import Observed
from reconciler.model import DesiredState, DriftPolicy, Mode
from reconciler.periods import PeriodKind
from reconciler.planning.types import RoutingChange
from tests.support.planning import (
    LONG_AGO,
    Ledger,
    desired,
    flow,
    m,
    organization,
    our_flow,
    team,
    wallet,
)


@dataclass(frozen=True)
class Scenario:
    desired: DesiredState
    observed: Observed
    managed_since: dict[str, datetime] = field(default_factory=dict)
    routing: tuple[RoutingChange, ...] = ()
    override_reason: str | None = None
    # envelopes at the last applied commit: lets a reason say "envelope raised/lowered"
    previous_envelopes: dict[str, int] = field(default_factory=dict)


def _last_applied(**envelopes: int) -> dict[str, int]:
    return {team_id: m(amount) for team_id, amount in envelopes.items()}


def _all_managed(*team_ids: str) -> dict[str, datetime]:
    return dict.fromkeys(team_ids, LONG_AGO)


def new_period_with_carry() -> Scenario:
    d = desired(organization(), team("team_eng", 12000), team("team_support", 3000))
    led = Ledger(org_available=40000)
    led.add("team_eng", balance=1200, carry=1200)
    led.add("team_support", balance=3500, carry=3500)
    return Scenario(d, led.observed(), _all_managed("team_eng", "team_support"))


def rollover() -> Scenario:
    d = desired(organization(), team("team_eng", 12000, rollover=True))
    led = Ledger(org_available=40000).add("team_eng", balance=1200, carry=1200)
    return Scenario(d, led.observed(), _all_managed("team_eng"))


def balance_mode() -> Scenario:
    d = desired(
        organization(),
        team("team_bots", 2000, mode=Mode.BALANCE),
        team("team_lab", 1000, mode=Mode.BALANCE),
    )
    led = Ledger(org_available=20000)
    led.add("team_bots", balance=600, reserved=100, flows=(our_flow("team_bots", 2000),))
    led.add("team_lab", balance=1750, carry=1750)
    return Scenario(d, led.observed(), _all_managed("team_bots", "team_lab"))


def envelope_changes() -> Scenario:
    d = desired(organization(), team("team_eng", 12000), team("team_data", 4000))
    led = Ledger(org_available=30000)
    led.add("team_eng", balance=7000, carry=1000, flows=(our_flow("team_eng", 9000),))
    led.add("team_data", balance=5800, flows=(our_flow("team_data", 6000),))
    return Scenario(
        d,
        led.observed(),
        _all_managed("team_eng", "team_data"),
        previous_envelopes=_last_applied(team_eng=10000, team_data=6000),
    )


def deficit_spent_and_reserved() -> Scenario:
    d = desired(organization(), team("team_eng", 2000), team("team_web", 500))
    led = Ledger(org_available=30000)
    led.add("team_eng", balance=3000, reserved=1200, flows=(our_flow("team_eng", 10000),))
    led.add("team_web", balance=500, flows=(our_flow("team_web", 500),))
    return Scenario(
        d,
        led.observed(),
        _all_managed("team_eng", "team_web"),
        previous_envelopes=_last_applied(team_eng=10000, team_web=500),
    )


def protect() -> Scenario:
    d = desired(organization(), team("team_oncall", 1000, protect=True), team("team_web", 800))
    led = Ledger(org_available=30000)
    led.add("team_oncall", balance=4000, flows=(our_flow("team_oncall", 4000),))
    led.add("team_web", balance=0)
    return Scenario(d, led.observed(), _all_managed("team_oncall", "team_web"))


def tombstone() -> Scenario:
    d = desired(
        organization(),
        team("team_legacy", 5000, removed=True),
        team("team_gone", 0, removed=True),
        team("team_web", 500),
    )
    led = Ledger(org_available=30000)
    led.add("team_legacy", balance=2400, reserved=150, flows=(our_flow("team_legacy", 5000),))
    led.add("team_gone", balance=0)
    led.add("team_web", balance=500, flows=(our_flow("team_web", 500),))
    return Scenario(d, led.observed(), _all_managed("team_legacy", "team_gone", "team_web"))


def _drift_ledger() -> Ledger:
    led = Ledger(org_available=30000)
    console = flow(
        "team_eng",
        500,
        at=datetime(2026, 11, 9, 16, 30, tzinfo=UTC),
        actor="console",
        note="urgent | demo <prep>",
    )
    manual = flow("team_eng", -200, at=datetime(2026, 11, 10, 8, 0, tzinfo=UTC), actor="alice")
    led.add("team_eng", balance=9300, flows=(our_flow("team_eng", 9000), console, manual))
    return led


def drift_warn() -> Scenario:
    d = desired(organization(), team("team_eng", 9000))
    return Scenario(d, _drift_ledger().observed(), _all_managed("team_eng"))


def drift_correct() -> Scenario:
    d = desired(organization(), team("team_eng", 9000, drift=DriftPolicy.CORRECT))
    return Scenario(d, _drift_ledger().observed(), _all_managed("team_eng"))


def drift_adopted() -> Scenario:
    d = desired(organization(), team("team_eng", 9300))
    since = {"team_eng": datetime(2026, 11, 20, tzinfo=UTC)}
    return Scenario(d, _drift_ledger().observed(), since)


def unmanaged() -> Scenario:
    d = desired(organization(), team("team_eng", 1000))
    led = Ledger(org_available=30000)
    led.add("team_eng", balance=1000, flows=(our_flow("team_eng", 1000),))
    led.extra_wallets += [wallet("team_shadow", 750, 50), wallet("team_zeta", 0)]
    return Scenario(d, led.observed(), _all_managed("team_eng"))


def no_changes() -> Scenario:
    d = desired(organization(), team("team_eng", 1000), team("team_web", 500))
    led = Ledger(org_available=30000)
    led.add("team_eng", balance=100, flows=(our_flow("team_eng", 1000),))
    led.add("team_web", balance=500, carry=200, flows=(our_flow("team_web", 300),))
    return Scenario(d, led.observed(), _all_managed("team_eng", "team_web"))


def routing() -> Scenario:
    scenario = no_changes()
    changes = (
        RoutingChange("analytics", None, "team_eng"),
        RoutingChange("legacy", "team_web", None),
        RoutingChange("support", "team_eng", "team_web"),
    )
    return Scenario(scenario.desired, scenario.observed, scenario.managed_since, changes)


def funding_shortfall() -> Scenario:
    d = desired(organization(headroom=5000), team("team_a", 5000), team("team_b", 0))
    led = Ledger(org_available=7000).add("team_a", balance=0)
    led.add("team_b", balance=700, flows=(our_flow("team_b", 700),))
    return Scenario(d, led.observed(), _all_managed("team_a", "team_b"))


def _guarded(override: str | None) -> Scenario:
    org = organization(max_movement=20000, max_reclaim=5000)
    d = desired(org, team("team_eng", 20000), team("team_data", 1000))
    led = Ledger(org_available=50000).add("team_eng", balance=0)
    led.add("team_data", balance=7000, flows=(our_flow("team_data", 7000),))
    return Scenario(
        d,
        led.observed(),
        _all_managed("team_eng", "team_data"),
        (),
        override,
        _last_applied(team_data=7000),
    )


def guard_refusal() -> Scenario:
    return _guarded(None)


def guard_override() -> Scenario:
    return _guarded("Q4 re-org approved in FIN-123")


def _wind_down(override: str | None) -> Scenario:
    d = desired(organization(), team("team_a", 0), team("team_b", 0), team("team_c", 100))
    led = Ledger(org_available=10000)
    for team_id, amount in (("team_a", 300), ("team_b", 200), ("team_c", 400)):
        led.add(team_id, balance=amount, flows=(our_flow(team_id, amount),))
    return Scenario(
        d,
        led.observed(),
        _all_managed("team_a", "team_b", "team_c"),
        (),
        override,
        _last_applied(team_a=300, team_b=200, team_c=400),
    )


def empty_set_guard() -> Scenario:
    return _wind_down(None)


def empty_set_override() -> Scenario:
    return _wind_down("shutting the pilot down")


def weekly_new_team() -> Scenario:
    d = desired(organization(period=PeriodKind.WEEKLY, headroom=0), team("team_new", 250))
    return Scenario(d, Ledger(org_available=250).observed())


def period_none() -> Scenario:
    d = desired(
        organization(period=PeriodKind.NONE, headroom=0),
        team("team_forever", 700),
        team("team_once", 100, mode=Mode.BALANCE),
    )
    led = Ledger(org_available=1000)
    led.add("team_forever", balance=200, flows=(our_flow("team_forever", 500),))
    led.add("team_once", balance=40)
    return Scenario(
        d,
        led.observed(),
        _all_managed("team_forever", "team_once"),
        previous_envelopes=_last_applied(team_forever=500),
    )


def quarterly() -> Scenario:
    d = desired(organization(period=PeriodKind.QUARTERLY), team("team_q", 30000))
    led = Ledger(org_available=40000).add("team_q", balance=2500, carry=2500)
    return Scenario(d, led.observed(), _all_managed("team_q"))


SCENARIOS: dict[str, Callable[[], Scenario]] = {
    f.__name__: f
    for f in (
        new_period_with_carry,
        rollover,
        balance_mode,
        envelope_changes,
        deficit_spent_and_reserved,
        protect,
        tombstone,
        drift_warn,
        drift_correct,
        drift_adopted,
        unmanaged,
        no_changes,
        routing,
        funding_shortfall,
        guard_refusal,
        guard_override,
        empty_set_guard,
        empty_set_override,
        weekly_new_team,
        period_none,
        quarterly,
    )
}
