"""A plan looks up when a team came under management only for the teams whose decision depends
on it (``rules.needs_managed_since``): leaving every other team's instant out changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from reconciler.errors import ReconcilerError
from reconciler.history import History
from reconciler.planning import document, planner
from reconciler.planning.rules import needs_managed_since
from tests.planning.test_properties import World, common, worlds
from tests.support.planning import COMMIT, LONG_AGO, NOW, PERIOD_START, Ledger, our_flow

# before the period (the reason says "new period"), and on either side of each generated flow
INSTANTS = st.one_of(
    st.sampled_from([LONG_AGO, PERIOD_START - timedelta(seconds=1)]),
    st.sampled_from(
        [PERIOD_START + timedelta(days=d, hours=h) for d in range(14) for h in (0, 12)]
    ),
)


def _outcome(world: World, managed_since: dict[str, datetime]) -> str:
    history = History(commit=COMMIT, dirty=False, managed_since=managed_since)
    try:
        plan = planner.plan(
            world.desired, world.observed, history, now=NOW, override_reason="property test"
        )
    except ReconcilerError as exc:
        return f"{type(exc).__name__}: {exc}"
    return document.dumps(plan)


@common
@given(worlds(), st.data())
def test_only_the_teams_that_need_it_are_looked_up(world: World, data: st.DataObject) -> None:
    every = {t.id: data.draw(INSTANTS) for t in world.desired.teams if data.draw(st.integers(0, 4))}
    needed = {
        team_id: since
        for team_id, since in every.items()
        if needs_managed_since(world.observed.teams.get(team_id))
    }
    assert _outcome(world, needed) == _outcome(world, every)


def test_a_team_whose_flows_are_all_ours_does_not_need_it() -> None:
    ledger = Ledger().add("team_a", balance=100, flows=(our_flow("team_a", 100),))
    ledger.add("team_b", balance=100, flows=(our_flow("team_b", 60), our_flow("team_b", 40)))
    ledger.add("team_c", balance=0)  # a wallet, nothing allocated this period
    observed = ledger.observed().teams
    assert not needs_managed_since(observed["team_a"])
    assert not needs_managed_since(observed["team_b"])
    assert needs_managed_since(observed["team_c"])
    assert needs_managed_since(None)  # no wallet yet
    console = replace(observed["team_a"].flows[0], note="console top-up")
    assert needs_managed_since(
        replace(observed["team_a"], flows=(*observed["team_a"].flows, console))
    )
