"""Properties of the planner on random organizations and observations (STYLE 11)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler import notes
from reconciler.errors import FundingError, GuardError
from reconciler.history import History
from reconciler.ledger.base import EntryType, Observed, TeamObservation, Transaction
from reconciler.model import DesiredState, DriftPolicy, Mode, Team
from reconciler.planning import document, planner
from reconciler.planning.types import Action, Plan
from tests.support.planning import (
    COMMIT,
    NOW,
    PERIOD_START,
    desired,
    organization,
    team,
    wallet,
)
from tests.support.planning import Ledger as Builder

CENT = 10_000
cents = st.integers(min_value=0, max_value=2_000_000).map(lambda c: c * CENT)


@dataclass(frozen=True)
class World:
    desired: DesiredState
    observed: Observed
    managed_since: dict[str, datetime]


@st.composite
def flows(draw: st.DrawFn, team_id: str) -> tuple[Transaction, ...]:
    result = []
    for index in range(draw(st.integers(0, 4))):
        amount = draw(st.integers(-500_000, 1_000_000)) * CENT
        if amount == 0:
            continue
        ours = draw(st.booleans())
        note = (
            notes.format_note(
                notes.Note(COMMIT, "a1b2c3d4e5f6", f"{index:016x}", team_id, "2026-11")
            )
            if ours
            else draw(st.sampled_from([None, "console top-up", "x|y <b>"]))
        )
        result.append(
            Transaction(
                id=f"tx_{team_id}_{index}",
                wallet_id=f"w_{team_id}",
                type=EntryType.ALLOCATION_IN if amount > 0 else EntryType.ALLOCATION_OUT,
                amount=amount,
                balance_after=0,
                note=note,
                created_at=PERIOD_START + timedelta(days=index * 3 + 1),
                actor=None if ours else "console",
            )
        )
    return tuple(result)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    count = draw(st.integers(1, 5))
    teams: list[Team] = []
    builder = Builder(org_available=0)
    since: dict[str, datetime] = {}
    for i in range(count):
        team_id = f"team_{i}"
        teams.append(
            team(
                team_id,
                0,
                mode=draw(st.sampled_from(Mode)),
                rollover=draw(st.booleans()),
                drift=draw(st.sampled_from(DriftPolicy)),
                protect=draw(st.integers(0, 5)) == 0,
                removed=draw(st.integers(0, 5)) == 0,
            )
        )
        teams[-1] = replace(teams[-1], envelope=draw(cents))
        if draw(st.integers(0, 6)) == 0:
            continue  # no wallet yet
        balance = draw(cents)
        builder.add(team_id, balance=0, flows=draw(flows(team_id)))
        obs = builder.teams[team_id]
        builder.teams[team_id] = replace(
            obs,
            wallet=replace(
                wallet(team_id, 0),
                balance=balance,
                reserved=draw(st.integers(0, balance // CENT)) * CENT,
            ),
            carry=draw(cents),
        )
        choice = draw(st.integers(0, 3))
        if choice:
            since[team_id] = PERIOD_START + timedelta(days=choice * 4 - 3)
    for j in range(draw(st.integers(0, 2))):
        builder.extra_wallets.append(wallet(f"team_ghost{j}", draw(cents) // CENT))
    org = organization(
        headroom=draw(cents) // CENT,
        max_movement=draw(st.none() | cents.map(lambda c: c // CENT)),
        max_reclaim=draw(st.none() | cents.map(lambda c: c // CENT)),
    )
    builder.org_available = draw(st.integers(0, 200_000))
    return World(desired(org, *teams), builder.observed(), since)


def make(world: World, *, override: str | None = "property test") -> Plan:
    return planner.plan(
        world.desired,
        world.observed,
        History(commit=COMMIT, dirty=False, managed_since=world.managed_since),
        now=NOW,
        override_reason=override,
    )


def plan_or_none(world: World) -> Plan | None:
    try:
        return make(world)
    except FundingError:
        return None


def applied(world: World, p: Plan) -> World:
    """The observation after executing every change of ``p`` (flows carrying our notes)."""
    teams = dict(world.observed.teams)
    for index, change in enumerate(p.changes):
        obs = teams.get(change.team_id) or TeamObservation(change.team_id, None, (), 0)
        sign = 1 if change.action is Action.ALLOCATE else -1
        note = notes.Note(COMMIT, p.plan_id, change.op_key, change.team_id, p.period.id)
        entry = Transaction(
            id=f"tx_applied_{index}",
            wallet_id=f"w_{change.team_id}",
            type=EntryType.ALLOCATION_IN if sign > 0 else EntryType.ALLOCATION_OUT,
            amount=sign * change.amount,
            balance_after=0,
            note=notes.format_note(note),
            created_at=NOW,
        )
        base = obs.wallet or wallet(change.team_id, 0)
        teams[change.team_id] = TeamObservation(
            obs.team_id,
            replace(base, balance=base.balance + sign * change.amount),
            (*obs.flows, entry),
            obs.carry,
        )
    org = world.observed.org_wallet
    org = replace(org, balance=org.balance + p.org.available_after - p.org.available_before)
    observed = Observed(org, world.observed.team_wallets, teams)
    return World(world.desired, observed, world.managed_since)


common = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@common
@given(worlds())
def test_deterministic(world: World) -> None:
    first, second = plan_or_none(world), plan_or_none(world)
    if first is None or second is None:
        assert first is second
        return
    assert document.dumps(first) == document.dumps(second)
    assert document.loads(document.dumps(first), source="p.json") == first


@common
@given(worlds())
def test_money_rules(world: World) -> None:
    p = plan_or_none(world)
    if p is None:
        return
    observed = world.observed.teams
    for change in p.changes:
        assert change.amount > 0
        if change.action is Action.RECLAIM:
            assert change.amount <= observed[change.team_id].available  # never spent money
            assert not world.desired.team(change.team_id).protect  # type: ignore[union-attr]
    declared = {t.id for t in world.desired.teams}
    assert {c.team_id for c in p.changes} <= declared
    assert [c.action for c in p.changes] == sorted(
        (c.action for c in p.changes), key=lambda a: a is Action.ALLOCATE
    )
    available = p.org.available_before
    for change in p.changes:
        available += change.amount if change.action is Action.RECLAIM else -change.amount
        if change.action is Action.ALLOCATE:
            assert available >= p.org.headroom
    assert available == p.org.available_after
    assert available == p.org.available_before + p.reclaim_total - p.allocate_total


def wanted_reduction(t: Team, obs: TeamObservation, since: datetime | None) -> int:
    """An independent statement of DESIGN §4.2 for one team: how much it should give back."""
    if t.removed:
        return max(obs.balance, 0)
    drift_left = sum(
        f.amount
        for f in obs.flows
        if notes.parse_note(f.note) is None
        # adopted up to the end of the committer's second (git's resolution)
        and f.created_at >= (since or NOW).replace(microsecond=0) + timedelta(seconds=1)
        and t.drift is DriftPolicy.WARN
    )
    if t.mode is Mode.BALANCE:
        return obs.available - (t.envelope + drift_left)
    counted = sum(f.amount for f in obs.flows) - drift_left
    return counted - (t.envelope - (0 if t.rollover else obs.carry))


@common
@given(worlds())
def test_deficits_and_reclaims_account_for_every_wanted_reduction(world: World) -> None:
    p = plan_or_none(world)
    if p is None:
        return
    for t in world.desired.teams:
        obs = world.observed.teams.get(t.id) or TeamObservation(t.id, None, (), 0)
        if t.removed and obs.balance <= 0 and obs.reserved <= 0:
            continue
        want = wanted_reduction(t, obs, world.managed_since.get(t.id))
        reclaimed = sum(
            c.amount for c in p.changes if c.team_id == t.id and c.action is Action.RECLAIM
        )
        allocated = sum(
            c.amount for c in p.changes if c.team_id == t.id and c.action is Action.ALLOCATE
        )
        deficit = sum(d.amount for d in p.deficits if d.team_id == t.id)
        if want > 0:
            assert (reclaimed + deficit, allocated) == (want, 0)
        else:
            assert (reclaimed, deficit, allocated) == (0, 0, -want)


@common
@given(worlds())
def test_apply_then_plan_is_empty(world: World) -> None:
    p = plan_or_none(world)
    if p is None:
        return
    again = make(applied(world, p), override=None)
    assert again.changes == ()
    assert again.deficits == p.deficits


@common
@given(worlds())
def test_guards_refuse_without_override(world: World) -> None:
    p = plan_or_none(world)
    if p is None:
        return
    guards = world.desired.organization.guards
    moved = p.allocate_total + p.reclaim_total
    over = (
        guards.max_movement_per_apply is not None and moved > guards.max_movement_per_apply
    ) or (
        guards.max_reclaim_per_apply is not None and p.reclaim_total > guards.max_reclaim_per_apply
    )
    try:
        make(world, override=None)
    except GuardError:
        refused = True
    else:
        refused = False
    # empty-set guard: every live managed team is wanted lower (a reclaim or a deficit), and
    # the plan reclaims something
    live = {t.id for t in world.desired.teams if not t.removed}
    lower = {c.team_id for c in p.changes if c.action is Action.RECLAIM}
    lower |= {d.team_id for d in p.deficits}
    everyone = len(live) >= 2 and p.reclaim_total > 0 and lower >= live
    assert refused == (over or everyone)


@common
@given(worlds())
def test_drift_left_in_place_is_never_reclaimed(world: World) -> None:
    """DESIGN §4.4: under drift: warn no reclaim takes the period's net drift inflow."""
    p = plan_or_none(world)
    if p is None:
        return
    for change in p.changes:
        t = world.desired.team(change.team_id)
        assert t is not None
        if change.action is not Action.RECLAIM or t.removed or t.drift is not DriftPolicy.WARN:
            continue
        obs = world.observed.teams[change.team_id]
        since = world.managed_since.get(t.id) or NOW
        cutoff = since.replace(microsecond=0) + timedelta(seconds=1)
        drift_in = sum(
            f.amount
            for f in obs.flows
            if notes.parse_note(f.note) is None and f.created_at >= cutoff
        )
        assert change.amount <= obs.available - max(drift_in, 0)
        assert change.drift_kept == max(drift_in, 0)
