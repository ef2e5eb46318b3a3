"""How long planning and rendering take for a large organization (500 teams, 10 flows each)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pytest_benchmark.fixture import BenchmarkFixture

from reconciler.history import History
from reconciler.ledger.base import Observed
from reconciler.model import DesiredState
from reconciler.planning import document as plandoc
from reconciler.planning import planner
from reconciler.render.plan import render_markdown, render_text
from tests.support.planning import COMMIT, NOW, Ledger, desired, organization, our_flow, team

TEAMS = 500


def _world() -> tuple[DesiredState, Observed]:
    teams = [team(f"team_{i:04d}", 1000 + i) for i in range(TEAMS)]
    led = Ledger(org_available=10_000_000)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(TEAMS):
        flows = tuple(
            our_flow(f"team_{i:04d}", 100, at=start + timedelta(hours=j)) for j in range(10)
        )
        led.add(f"team_{i:04d}", balance=500, carry=i % 7, flows=flows)
    return desired(organization(), *teams), led.observed()


def test_plan_500_teams(benchmark: BenchmarkFixture) -> None:
    d, observed = _world()

    def run() -> str:
        p = planner.plan(
            d, observed, History(commit=COMMIT, dirty=False, managed_since={}), now=NOW
        )
        return plandoc.dumps(p) + render_text(p, color=False) + render_markdown(p)

    assert benchmark(run)
