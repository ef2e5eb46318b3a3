"""Over the real sandbox server: an apply makes at most one read and one write per movement,
keeps at most 16 movements in flight, starts no allocation before every reclaim has finished, and
never takes the organization wallet below headroom, also when money moves during the wave.

Requests are counted and timed in order by a recording wrapper around the server
(``tests/support/request_log.py``); every verdict about money is read from the ledger itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from reconciler import executor
from reconciler.executor import StepStatus
from reconciler.executor.waves import DEFAULT_CONCURRENCY
from reconciler.ledger.http import HttpLedger
from reconciler.ledger.retry import RetryPolicy
from reconciler.model import DesiredState
from reconciler.planning.types import Action
from reconciler.sandbox.faults import FaultPlan
from reconciler.sandbox.ledger import SqliteLedger
from reconciler.sandbox.server import create_app
from tests.support.clocks import TickingClock
from tests.support.executing import Clock, make_plan
from tests.support.ledger_asserts import allocated_in, org_dips_below, repeated_op_keys
from tests.support.planning import NOW, desired, m, organization, team
from tests.support.request_log import RequestLog
from tests.support.sandbox_server import BILLING_TOKEN, serving

N = 50
NO_WAIT = RetryPolicy(sleep=lambda _seconds: None)


@dataclass
class Server:
    url: str
    log: RequestLog
    db: Path

    def ledger(self) -> HttpLedger:
        return HttpLedger.from_url(self.url, token=BILLING_TOKEN)


@contextmanager
def server(
    tmp_path: Path,
    *,
    credit: int,
    faults: str | None = None,
    on_start: Callable[[str], None] | None = None,
    clock: TickingClock | None = None,
) -> Iterator[Server]:
    """The sandbox server over a new ledger credited ``credit``; ``clock`` stamps its entries
    (share it with any other writer of the same file, so entries stay in time order)."""
    db = tmp_path / "sandbox.db"
    clock = clock or TickingClock(NOW)
    with SqliteLedger.create(db, "org_acme", clock=clock) as seed:
        seed.credit(m(credit), note="initial credit")
    ledger = SqliteLedger(db, clock=clock)
    plan = FaultPlan.parse(faults) if faults else None
    log = RequestLog(create_app(ledger, token=BILLING_TOKEN, read_token=None, faults=plan))
    log.on_start = on_start
    try:
        with serving(log) as url:  # type: ignore[arg-type]
            yield Server(url, log, db)
    finally:
        ledger.close()


def teams(count: int, envelope: int, headroom: int = 0) -> DesiredState:
    return desired(
        organization(headroom=headroom),
        *(team(f"team_{n:03}", envelope) for n in range(count)),
    )


def test_new_teams_and_refills_cost_one_read_and_one_write_per_movement(tmp_path: Path) -> None:
    with server(tmp_path, credit=N * 300) as served, served.ledger() as ledger:
        plan = make_plan(teams(N, 100), ledger, Clock())
        served.log.clear()
        result = executor.apply(plan, ledger, clock=Clock(), retry=NO_WAIT)
        assert result.count(StepStatus.APPLIED) == N
        # the organization wallet once for the wave (GET /v1/wallets), then each new team's
        # wallet lookup (GET /v1/wallets/balance): nothing else
        assert served.log.count("POST") == N
        assert served.log.count("GET") == N + 1
        assert served.log.count("GET", "/v1/wallets/balance") == N

        refill = make_plan(teams(N, 150), ledger, Clock())
        assert {c.action for c in refill.changes} == {Action.ALLOCATE}
        served.log.clear()
        result = executor.apply(refill, ledger, clock=Clock(), retry=NO_WAIT)
        assert result.count(StepStatus.APPLIED) == N
        # the wave's read gave every wallet id: each refill reads its period's entries only
        assert served.log.count("POST") == N
        assert served.log.count("GET") == N + 1
        assert (
            served.log.count("GET", "/v1/wallets/wal") + served.log.count("GET", "/v1/wallets/w")
            >= N
        )
    with SqliteLedger(served.db, clock=Clock()) as after:
        assert allocated_in(after) == {f"team_{n:03}": m(150) for n in range(N)}
        assert after.check() == []


def test_a_wave_keeps_up_to_16_in_flight_and_allocations_wait_for_every_reclaim(
    tmp_path: Path,
) -> None:
    count = 20  # more than the wave keeps in flight
    before = desired(
        organization(headroom=0),
        *(team(f"team_r{n:02}", 300) for n in range(count)),
        *(team(f"team_a{n:02}", 100) for n in range(count)),
    )
    after = desired(
        organization(headroom=0),
        *(team(f"team_r{n:02}", 100) for n in range(count)),
        *(team(f"team_a{n:02}", 300) for n in range(count)),
    )
    faults = "allocate:latency=150,reclaim:latency=150"
    with server(tmp_path, credit=count * 400, faults=faults) as served, served.ledger() as ledger:
        executor.apply(make_plan(before, ledger, Clock()), ledger, clock=Clock(), retry=NO_WAIT)
        plan = make_plan(after, ledger, Clock())
        assert [c.action for c in plan.changes] == [Action.RECLAIM] * count + [
            Action.ALLOCATE
        ] * count
        served.log.clear()
        lines: list[str] = []
        result = executor.apply(
            plan,
            ledger,
            clock=Clock(),
            retry=NO_WAIT,
            progress=lambda step, done, total: lines.append(f"{done} {step.change.team_id}"),
        )
        assert result.complete
        assert 1 < served.log.most_in_flight <= DEFAULT_CONCURRENCY == 16
        events = served.log.events
        last_reclaim_end = max(
            i
            for i, (kind, what) in enumerate(events)
            if (kind, what) == ("end", "POST /v1/wallets/reclaim")
        )
        first_allocate = min(
            i for i, e in enumerate(events) if e == ("start", "POST /v1/wallets/allocate")
        )
        assert last_reclaim_end < first_allocate
    # progress is reported in the plan's order, whatever order the movements finished in
    assert lines == [f"{i + 1} {c.team_id}" for i, c in enumerate(plan.changes)]


def test_headroom_holds_with_movements_in_flight_and_a_top_up_lets_the_wave_go_on(
    tmp_path: Path,
) -> None:
    # the org can fund 10 x 100.00 above headroom 1,000.00; a console allocation to a team the
    # budgets do not manage takes 300.00 after the plan, and a top-up of 300.00 lands while the
    # allocations are in flight: the wave re-reads when its own figure is short, and goes on
    state = teams(10, 100, headroom=1000)
    db_box: list[Path] = []
    clock = TickingClock(NOW)
    allocations: list[str] = []

    def top_up(what: str) -> None:
        if what == "POST /v1/wallets/allocate":
            allocations.append(what)
        if len(allocations) == 2 and what == "POST /v1/wallets/allocate":  # the wave's first
            with SqliteLedger(db_box[0], clock=clock) as console:
                console.credit(m(300), note="console top-up")

    with (
        server(
            tmp_path, credit=2000, faults="allocate:latency=200", on_start=top_up, clock=clock
        ) as served,
        served.ledger() as ledger,
    ):
        db_box.append(served.db)
        plan = make_plan(state, ledger, Clock())
        ledger.allocate("team_unmanaged", m(300), note="console")
        result = executor.apply(plan, ledger, clock=Clock(), retry=NO_WAIT)
        assert result.complete, [s.detail for s in result.steps if s.detail]
    with SqliteLedger(served.db, clock=Clock()) as after:
        assert org_dips_below(after, m(1000)) == []
        assert allocated_in(after) == {
            **{f"team_{n:03}": m(100) for n in range(10)},
            "team_unmanaged": m(300),
        }
        assert after.check() == []


def test_an_allocation_that_would_cross_headroom_is_refused_and_the_rest_go_on(
    tmp_path: Path,
) -> None:
    # 1,000.00 above headroom when planned; 250.00 leaves before the apply: of 10 x 100.00
    # in flight together, exactly 7 fit, and the org is never below headroom
    state = teams(10, 100, headroom=1000)
    with (
        server(tmp_path, credit=2000, faults="allocate:latency=100") as served,
        served.ledger() as ledger,
    ):
        plan = make_plan(state, ledger, Clock())
        ledger.allocate("team_unmanaged", m(250), note="console")
        result = executor.apply(plan, ledger, clock=Clock(), retry=NO_WAIT)
    statuses = [s.status for s in result.steps]
    assert statuses == [StepStatus.APPLIED] * 7 + [StepStatus.FAILED] * 3
    assert result.steps[7].detail == (
        "team_007: allocating 100.00 would take the organization wallet to 950.00, below "
        "headroom 1,000.00: credit the organization wallet and re-run"
    )
    with SqliteLedger(served.db, clock=Clock()) as after:
        assert org_dips_below(after, m(1000)) == []
        assert repeated_op_keys(after) == []
        assert after.check() == []


def test_a_refusal_mid_wave_reads_the_org_again_and_stops_only_what_cannot_be_funded(
    tmp_path: Path,
) -> None:
    # headroom 0: the org holds 1,000.00 for 10 x 100.00, and a console movement takes 600.00
    # as the first allocation arrives. The ledger refuses what it cannot fund; after a refusal
    # the wave reads the org again before it sends more. Exactly 4 are funded, each once.
    state = teams(10, 100)
    db_box: list[Path] = []
    clock = TickingClock(NOW)
    drained = threading.Event()

    def drain(what: str) -> None:
        if what == "POST /v1/wallets/allocate" and not drained.is_set():
            drained.set()
            with SqliteLedger(db_box[0], clock=clock) as console:
                console.allocate("team_unmanaged", m(600), note="console")

    with (
        server(
            tmp_path, credit=1000, faults="allocate:latency=100", on_start=drain, clock=clock
        ) as served,
        served.ledger() as ledger,
    ):
        db_box.append(served.db)
        plan = make_plan(state, ledger, Clock())
        result = executor.apply(plan, ledger, clock=Clock(), retry=NO_WAIT)
    assert result.count(StepStatus.APPLIED) == 4
    assert result.count(StepStatus.FAILED) == 6
    for step in result.failed:  # refused by the ledger, or by the wave after reading again
        assert "insufficient funds" in step.detail or "below headroom" in step.detail, step
    with SqliteLedger(served.db, clock=Clock()) as after:
        moved = allocated_in(after)
        assert sum(v for k, v in moved.items() if k != "team_unmanaged") == m(400)
        assert all(v == m(100) for k, v in moved.items() if k != "team_unmanaged")
        assert repeated_op_keys(after) == []
        assert after.check() == []
