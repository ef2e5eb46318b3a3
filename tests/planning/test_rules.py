"""The reconciliation rule, one behaviour at a time (DESIGN §4), with exact numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from reconciler.errors import FundingError, GuardError, PlanError
from reconciler.history import History, routing_changes
from reconciler.ledger.base import Observed
from reconciler.model import ConsumerGroup, DesiredState, DriftPolicy, GatewayConfig, Mode
from reconciler.planning import document, planner
from reconciler.planning.staleness import flows_digest
from reconciler.planning.types import Action, Plan, RoutingChange, TeamFingerprint
from tests.support.planning import (
    COMMIT,
    LONG_AGO,
    NOW,
    Ledger,
    desired,
    flow,
    m,
    organization,
    our_flow,
    ours,
    team,
    wallet,
)


def make(d: DesiredState, observed: Observed, **kwargs: Any) -> Plan:
    history = History(
        commit=COMMIT,
        managed_since=kwargs.pop("managed_since", {}),
        previous_envelopes=kwargs.pop("previous_envelopes", None),
        routing=kwargs.pop("routing", ()),
    )
    return planner.plan(d, observed, history, now=NOW, **kwargs)


def moves(p: Plan) -> list[tuple[str, str, int]]:
    return [(c.action.value, c.team_id, c.amount) for c in p.changes]


def test_new_period_nets_the_carry_against_the_envelope() -> None:
    d = desired(organization(), team("team_eng", 12000))
    obs = Ledger().add("team_eng", balance=1200, carry=1200).observed()
    p = make(d, obs, managed_since={"team_eng": LONG_AGO})
    assert moves(p) == [("allocate", "team_eng", m(10800))]
    assert p.changes[0].reason == (
        "new period: bring wallet to envelope 12,000.00 (carry 1,200.00 is not rolled over)"
    )


def test_rollover_keeps_the_carry() -> None:
    d = desired(organization(), team("team_eng", 12000, rollover=True))
    obs = Ledger().add("team_eng", balance=1200, carry=1200).observed()
    p = make(d, obs, managed_since={"team_eng": LONG_AGO})
    assert moves(p) == [("allocate", "team_eng", m(12000))]
    assert p.changes[0].reason == (
        "new period: allocate envelope 12,000.00 (rollover: carry 1,200.00 stays)"
    )


def test_spend_alone_moves_nothing_in_period_mode() -> None:
    d = desired(organization(), team("team_eng", 12000))
    obs = Ledger().add("team_eng", balance=500, carry=1000, flows=(our_flow("team_eng", 11000),))
    assert make(d, obs.observed()).changes == ()


def test_envelope_lowered_reclaims_and_the_rest_is_a_spent_deficit() -> None:
    d = desired(organization(), team("team_eng", 4000))
    obs = Ledger().add("team_eng", balance=2500, reserved=500, flows=(our_flow("team_eng", 10000),))
    p = make(d, obs.observed(), previous_envelopes={"team_eng": m(10000)})
    assert moves(p) == [("reclaim", "team_eng", m(2000))]
    assert p.changes[0].reason == "envelope lowered 10,000.00 → 4,000.00"
    assert [(x.team_id, x.amount, x.reason) for x in p.deficits] == [
        ("team_eng", m(4000), "cannot reclaim: 3,500.00 already spent, 500.00 reserved")
    ]


def test_new_period_is_said_only_when_the_team_was_managed_before_the_period() -> None:
    d = desired(organization(), team("team_fast", 1000))
    added = datetime(2026, 11, 10, 10, 0, 0, tzinfo=UTC)
    console = flow("team_fast", 1000, actor="console", at=added.replace(second=1))
    obs = Ledger().add("team_fast", balance=1000, flows=(console,)).observed()
    p = make(d, obs, managed_since={"team_fast": added})
    assert p.changes[0].reason == "nothing allocated this period yet: allocate envelope 1,000.00"
    empty = Ledger().add("team_fast", balance=0).observed()
    p = make(d, empty, managed_since={"team_fast": datetime(2026, 10, 2, tzinfo=UTC)})
    assert p.changes[0].reason == "new period: allocate envelope 1,000.00"


def test_an_envelope_change_is_claimed_only_when_it_happened() -> None:
    # the last apply (envelope 4,600.00) moved 9,000.00 (an edited plan file): not "lowered"
    d = desired(organization(), team("team_mkt", 4600))
    flows = (our_flow("team_mkt", 4500), our_flow("team_mkt", 9000))
    obs = Ledger().add("team_mkt", balance=13500, flows=flows).observed()
    p = make(d, obs, previous_envelopes={"team_mkt": m(4600)})
    assert moves(p) == [("reclaim", "team_mkt", m(8900))]
    assert p.changes[0].reason == "allocated 13,500.00 this period; envelope 4,600.00"
    p = make(d, obs)  # nothing known about the last applied envelope: neutral as well
    assert p.changes[0].reason == "allocated 13,500.00 this period; envelope 4,600.00"
    p = make(d, obs, previous_envelopes={"team_mkt": m(13500)})
    assert p.changes[0].reason == "envelope lowered 13,500.00 → 4,600.00"


def test_balance_mode_tops_up_to_the_envelope() -> None:
    d = desired(organization(), team("team_eng", 3000, mode=Mode.BALANCE))
    p = make(d, Ledger().add("team_eng", balance=1000, reserved=250).observed())
    assert moves(p) == [("allocate", "team_eng", m(2250))]
    assert p.changes[0].allocated == m(750)


def test_protect_turns_a_reclaim_into_a_deficit() -> None:
    d = desired(organization(), team("team_eng", 1000, protect=True))
    obs = Ledger().add("team_eng", balance=5000, flows=(our_flow("team_eng", 5000),))
    p = make(d, obs.observed())
    assert p.changes == ()
    assert [(x.amount, x.reason) for x in p.deficits] == [
        (m(4000), "protected: protect: true forbids any reclaim")
    ]


def test_tombstone_reclaims_everything_available_and_reports_the_reserved_rest() -> None:
    d = desired(organization(), team("team_old", 1000, removed=True), team("team_eng", 0))
    obs = Ledger().add("team_old", balance=800, reserved=100).add("team_eng", balance=0)
    p = make(d, obs.observed())
    assert moves(p) == [("reclaim", "team_old", m(700))]
    assert p.changes[0].reason == "tombstone: reclaim everything (removed: true)"
    assert p.deficits[0].reason == "cannot reclaim: 100.00 reserved by requests in flight"


def test_empty_tombstone_is_not_managed_any_more() -> None:
    d = desired(organization(), team("team_old", 0, removed=True))
    p = make(d, Ledger().add("team_old", balance=0).observed())
    assert (p.changes, p.deficits, p.fingerprints, p.unmanaged) == ((), (), (), ())


def test_drift_warn_is_reported_and_left_in_place() -> None:
    d = desired(organization(), team("team_eng", 10000))
    console = flow("team_eng", 500, actor="console", note="top up for the demo")
    obs = Ledger().add("team_eng", balance=10500, flows=(our_flow("team_eng", 10000), console))
    p = make(d, obs.observed(), managed_since={"team_eng": datetime(2026, 1, 1, tzinfo=UTC)})
    assert p.changes == ()
    assert [(x.amount, x.actor, x.note, x.policy) for x in p.drift] == [
        (m(500), "console", "top up for the demo", "warn")
    ]
    assert p.warnings == (
        "team_eng: 1 allocation flow(s) made outside reconciler (net +500.00) left in place "
        "(drift: warn)",
    )


def test_drift_correct_reverses_it() -> None:
    d = desired(organization(), team("team_eng", 10000, drift=DriftPolicy.CORRECT))
    console = flow("team_eng", 500, actor="console")
    obs = Ledger().add("team_eng", balance=10500, flows=(our_flow("team_eng", 10000), console))
    p = make(d, obs.observed(), managed_since={"team_eng": datetime(2026, 1, 1, tzinfo=UTC)})
    assert moves(p) == [("reclaim", "team_eng", m(500))]
    assert p.changes[0].reason == "drift correction: reverse console allocation of 500.00"
    assert [(x.status, x.label) for x in p.drift] == [("reversed", "reversed by this plan")]


def test_drift_already_reversed_is_labelled_corrected_not_reversed_by_this_plan() -> None:
    d = desired(organization(), team("team_eng", 10000, drift=DriftPolicy.CORRECT))
    console = flow("team_eng", 500, actor="console", at=datetime(2026, 11, 3, tzinfo=UTC))
    reversal = our_flow("team_eng", -500, at=datetime(2026, 11, 4, tzinfo=UTC))
    flows = (our_flow("team_eng", 10000), console, reversal)
    obs = Ledger().add("team_eng", balance=10000, flows=flows)
    since = {"team_eng": datetime(2026, 1, 1, tzinfo=UTC)}
    p = make(d, obs.observed(), managed_since=since)
    assert p.changes == ()
    assert [(x.policy, x.status, x.label) for x in p.drift] == [
        ("correct", "corrected", "corrected (reversal already in the ledger)")
    ]
    # a later envelope change is not a drift correction, and the envelope really was 10,000.00
    raised = desired(organization(), team("team_eng", 12000, drift=DriftPolicy.CORRECT))
    p = make(raised, obs.observed(), managed_since=since, previous_envelopes={"team_eng": m(10000)})
    assert moves(p) == [("allocate", "team_eng", m(2000))]
    assert p.changes[0].reason == "envelope raised 10,000.00 → 12,000.00"
    assert [x.status for x in p.drift] == ["corrected"]


def test_drift_correct_that_cannot_be_reclaimed_is_labelled_a_deficit() -> None:
    d = desired(organization(), team("team_eng", 10000, drift=DriftPolicy.CORRECT))
    console = flow("team_eng", 500, actor="console")
    obs = Ledger().add("team_eng", balance=0, flows=(our_flow("team_eng", 10000), console))
    p = make(d, obs.observed(), managed_since={"team_eng": datetime(2026, 1, 1, tzinfo=UTC)})
    assert p.changes == ()
    assert [(x.status, x.label) for x in p.drift] == [
        ("deficit", "not reversed: nothing available to reclaim (see deficits)")
    ]


def test_flows_before_management_are_adopted() -> None:
    d = desired(organization(), team("team_eng", 10000))
    console = flow("team_eng", 10000, actor="console")
    obs = Ledger().add("team_eng", balance=10000, flows=(console,))
    p = make(d, obs.observed(), managed_since={"team_eng": datetime(2026, 11, 3, tzinfo=UTC)})
    assert (p.changes, p.drift) == ((), ())


def test_a_flow_in_the_commits_second_is_adopted_the_next_second_is_drift() -> None:
    # git committer time has one-second resolution: the commit at 09:00:00 may be 09:00:00.999.
    added = datetime(2026, 11, 3, 9, 0, 0, tzinfo=UTC)
    d = desired(organization(), team("team_eng", 1000))
    same = flow("team_eng", 1000, actor="console", at=added.replace(microsecond=999_999))
    obs = Ledger().add("team_eng", balance=1000, flows=(same,))
    p = make(d, obs.observed(), managed_since={"team_eng": added})
    assert (p.changes, p.drift) == ((), ())
    later = flow("team_eng", 1000, actor="console", at=added.replace(second=1))
    obs = Ledger().add("team_eng", balance=1000, flows=(later,))
    p = make(d, obs.observed(), managed_since={"team_eng": added})
    assert moves(p) == [("allocate", "team_eng", m(1000))]
    assert [x.transaction_id for x in p.drift] == [later.id]


def test_unmanaged_wallets_are_listed_never_touched() -> None:
    led = Ledger().add("team_eng", balance=0).add("team_ghost", balance=700, reserved=20)
    d = desired(organization(), team("team_eng", 0))
    p = make(d, led.observed())
    assert p.changes == ()
    assert [(u.team_id, u.balance, u.available) for u in p.unmanaged] == [
        ("team_ghost", m(700), m(680))
    ]


def test_reclaims_run_first_then_allocations_each_by_team_id() -> None:
    d = desired(
        organization(),
        team("team_b", 100),
        team("team_a", 100),
        team("team_d", 0),
        team("team_c", 0),
        team("team_e", 0),
    )
    led = Ledger()
    for team_id in ("team_a", "team_b", "team_e"):
        led.add(team_id, balance=0)
    for team_id in ("team_c", "team_d"):
        led.add(team_id, balance=50, flows=(our_flow(team_id, 50),))
    p = make(d, led.observed())
    assert moves(p) == [
        ("reclaim", "team_c", m(50)),
        ("reclaim", "team_d", m(50)),
        ("allocate", "team_a", m(100)),
        ("allocate", "team_b", m(100)),
    ]
    assert p.org.available_after == p.org.available_before - m(100)


def test_funding_shortfall_names_the_numbers() -> None:
    d = desired(organization(headroom=5000), team("team_a", 5000), team("team_b", 0))
    led = Ledger(org_available=7000).add("team_a", balance=0)
    led.add("team_b", balance=700, flows=(our_flow("team_b", 700),))
    with pytest.raises(FundingError) as err:
        make(d, led.observed())
    assert str(err.value) == (
        "organization wallet needs 2,300.00 more credits (available 7,700.00 after reclaims, "
        "allocations 5,000.00, headroom 5,000.00): credit the organization wallet or lower "
        "envelopes"
    )


def test_guard_refuses_then_override_records_the_reason() -> None:
    d = desired(organization(max_movement=1000, max_reclaim=10), team("team_a", 1500))
    obs = Ledger().add("team_a", balance=0).observed()
    with pytest.raises(GuardError) as err:
        make(d, obs)
    assert str(err.value) == (
        "plan moves 1,500.00 credits, over guard max_movement_per_apply 1,000.00: review the "
        'plan, then re-run with --override-guards "reason"'
    )
    p = make(d, obs, override_reason="year-end top up")
    assert p.override_reason == "year-end top up"
    assert moves(p) == [("allocate", "team_a", m(1500))]


def test_empty_set_guard() -> None:
    d = desired(organization(), team("team_a", 0), team("team_b", 0))
    led = Ledger()
    for team_id in ("team_a", "team_b"):
        led.add(team_id, balance=10, flows=(our_flow(team_id, 10),))
    with pytest.raises(GuardError, match=r"every managed team \(2 teams: 2 reclaimed\)"):
        make(d, led.observed())
    assert len(make(d, led.observed(), override_reason="wind down").changes) == 2


def test_empty_set_guard_counts_a_protected_team_wanted_lower() -> None:
    # Every envelope zeroed; the protected team's reclaim becomes a deficit, not a movement.
    d = desired(
        organization(),
        team("team_a", 0),
        team("team_b", 0),
        team("team_safe", 0, protect=True),
    )
    led = Ledger()
    for team_id in ("team_a", "team_b", "team_safe"):
        led.add(team_id, balance=10, flows=(our_flow(team_id, 10),))
    with pytest.raises(GuardError) as err:
        make(d, led.observed())
    assert str(err.value) == (
        "plan takes money from every managed team (3 teams: 2 reclaimed, 1 left as a deficit), "
        "as if the budgets were deleted or zeroed (empty-set guard): review the plan, then "
        're-run with --override-guards "reason"'
    )
    p = make(d, led.observed(), override_reason="wind down")
    assert moves(p) == [("reclaim", "team_a", m(10)), ("reclaim", "team_b", m(10))]


def test_empty_set_guard_counts_a_team_with_nothing_available() -> None:
    d = desired(organization(), team("team_a", 0), team("team_spent", 0))
    led = Ledger()
    led.add("team_a", balance=10, flows=(our_flow("team_a", 10),))
    led.add("team_spent", balance=0, flows=(our_flow("team_spent", 10),))
    with pytest.raises(GuardError, match=r"every managed team \(2 teams: 1 reclaimed, 1 left"):
        make(d, led.observed())


def test_empty_set_guard_leaves_out_tombstones_and_teams_not_wanted_lower() -> None:
    d = desired(
        organization(),
        team("team_a", 0),
        team("team_b", 0),
        team("team_keep", 10),
        team("team_gone", 0, removed=True),
    )
    led = Ledger()
    for team_id in ("team_a", "team_b", "team_keep", "team_gone"):
        led.add(team_id, balance=10, flows=(our_flow(team_id, 10),))
    assert [c.team_id for c in make(d, led.observed()).changes] == [
        "team_a",
        "team_b",
        "team_gone",
    ]
    single = desired(organization(), team("team_a", 0), team("team_gone", 0, removed=True))
    led = Ledger()
    for team_id in ("team_a", "team_gone"):
        led.add(team_id, balance=10, flows=(our_flow(team_id, 10),))
    assert len(make(single, led.observed()).changes) == 2


def test_empty_set_guard_ignores_a_plan_that_moves_nothing() -> None:
    # Deficits alone (every team protected) take nothing: the plan is not refused.
    d = desired(organization(), team("team_a", 0, protect=True), team("team_b", 0, protect=True))
    led = Ledger()
    for team_id in ("team_a", "team_b"):
        led.add(team_id, balance=10, flows=(our_flow(team_id, 10),))
    p = make(d, led.observed())
    assert p.changes == ()
    assert [x.team_id for x in p.deficits] == ["team_a", "team_b"]


def test_the_op_keys_ignore_the_clock_within_the_period_and_the_plan_id_names_the_content() -> None:
    d = desired(organization(), team("team_a", 100))
    obs = Ledger().add("team_a", balance=0).observed()
    first = make(d, obs)
    later = planner.plan(
        d,
        obs,
        History(commit=COMMIT, dirty=False, managed_since={}),
        now=datetime(2026, 11, 29, tzinfo=UTC),
    )
    assert first.changes == later.changes  # same movement, same op key: a rerun is idempotent
    assert first.changes[0].action is Action.ALLOCATE
    assert first.plan_id != later.plan_id  # another document (created_at differs)
    assert first.plan_id == document.content_id(first)


def test_a_listed_but_unobserved_wallet_is_refused_not_refunded() -> None:
    d = desired(organization(), team("team_a", 100))
    led = Ledger()
    led.extra_wallets.append(wallet("team_a", 100))
    with pytest.raises(PlanError) as err:
        make(d, led.observed())
    assert (
        str(err.value)
        == "team_a: the ledger lists its wallet but returned no flows for it: re-run the plan"
    )


def test_routing_changes_sorted_by_group() -> None:
    def gateway(*pairs: tuple[str, str]) -> GatewayConfig:
        return GatewayConfig(tuple(ConsumerGroup(g, t) for g, t in pairs), True)

    before = gateway(("support", "team_a"), ("legacy", "team_b"), ("same", "team_c"))
    after = gateway(("support", "team_b"), ("analytics", "team_a"), ("same", "team_c"))
    assert routing_changes(before, after) == (
        RoutingChange("analytics", None, "team_a"),
        RoutingChange("legacy", "team_b", None),
        RoutingChange("support", "team_a", "team_b"),
    )
    assert routing_changes(None, None) == ()
    assert routing_changes(None, gateway(("x", "team_a"))) == (RoutingChange("x", None, "team_a"),)


def test_flows_digest_leaves_out_this_plans_own_movements() -> None:
    d = desired(organization(), team("team_eng", 1000))
    before = (our_flow("team_eng", 500),)
    p = make(d, Ledger().add("team_eng", balance=500, flows=before).observed())
    assert p.fingerprints == (TeamFingerprint("team_eng", *flows_digest(before)),)
    change = p.changes[0]
    mine = flow(
        "team_eng",
        500,
        note=ours(commit=COMMIT, team_id="team_eng", op=change.op_key),
        flow_id="tx_applied",
    )
    assert flows_digest((*before, mine), exclude_ops={change.op_key}) == (
        p.fingerprints[0].flows_digest,
        1,
    )
    console = flow("team_eng", 1, actor="console", flow_id="tx_console")
    assert flows_digest((*before, console))[1] == 2
    assert flows_digest((*before, console))[0] != p.fingerprints[0].flows_digest
