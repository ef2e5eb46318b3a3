"""QA-a #6: an idempotent replay is visible to the caller, so concurrent applies report truly."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from reconciler import executor
from reconciler.executor import ApplyResult, StepStatus
from reconciler.ledger.http import HttpLedger
from reconciler.ledger.retry import RetryPolicy
from reconciler.planning.types import Action
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.clocks import TickingClock
from tests.support.executing import Clock, make_plan
from tests.support.planning import NOW, desired, m, organization, team
from tests.support.sandbox_server import BILLING_TOKEN, running_server

NO_WAIT = RetryPolicy(sleep=lambda _seconds: None)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "sandbox.db"
    with SqliteLedger.create(path, "org_acme", clock=Clock()) as ledger:
        ledger.credit(m(10_000), note="initial credit")
    return path


def test_sqlite_marks_a_replay_and_only_a_replay(db: Path) -> None:
    with SqliteLedger(db, clock=Clock()) as ledger:
        first = ledger.allocate("team_a", m(5), note="n", idempotency_key="op-1")
        again = ledger.allocate("team_a", m(5), note="n", idempotency_key="op-1")
        other = ledger.allocate("team_a", m(5), note="n", idempotency_key="op-2")
    assert (first.replayed, again.replayed, other.replayed) == (False, True, False)
    assert again == first  # the same entry; being a replay is about the call


def test_the_server_says_replayed_and_the_client_passes_it_on(db: Path) -> None:
    with running_server(db, clock=Clock()) as url:
        body = {"team_id": "team_a", "amount": 5, "note": "n"}
        headers = {"Authorization": f"Bearer {BILLING_TOKEN}", "Idempotency-Key": "op-1"}
        with httpx.Client(base_url=url, timeout=10) as http:
            made = http.post("/v1/wallets/allocate", json=body, headers=headers)
            replay = http.post("/v1/wallets/allocate", json=body, headers=headers)
        assert made.status_code == replay.status_code == 200
        assert "Idempotent-Replayed" not in made.headers
        assert replay.headers["Idempotent-Replayed"] == "true"
        with HttpLedger.from_url(url, token=BILLING_TOKEN) as ledger:
            again = ledger.allocate("team_a", m(5), note="n", idempotency_key="op-1")
            fresh = ledger.allocate("team_a", m(5), note="n", idempotency_key="op-2")
    assert (again.replayed, fresh.replayed) == (True, False)


def test_two_concurrent_applies_report_each_movement_once(db: Path) -> None:
    state = desired(
        organization(headroom=1000),
        team("team_eng", 1200),
        team("team_ops", 300),
        team("team_support", 250),
    )
    results: list[ApplyResult] = []
    # Each allocation waits 800 ms on the server before it is made, so both runs read the
    # ledger (no op key yet) and both send the same movement: the second is a replay.
    clock = TickingClock(NOW)
    with running_server(db, faults="allocate:latency=800", clock=clock) as url:
        with HttpLedger.from_url(url, token=BILLING_TOKEN) as planning:
            plan = make_plan(state, planning, Clock())
        assert len(plan.changes) == 3
        start = threading.Barrier(2)

        def run() -> None:
            with HttpLedger.from_url(url, token=BILLING_TOKEN) as ledger:
                start.wait()
                results.append(executor.apply(plan, ledger, clock=clock, retry=NO_WAIT))

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert len(results) == 2
    assert all(result.complete for result in results)
    with SqliteLedger(db, clock=Clock()) as ledger:
        made = {
            w.owner_id: [e.amount for e in ledger.transactions(w.id)]
            for w in ledger.list_wallets()
            if w.owner_id.startswith("team_")
        }
        assert ledger.check() == []
    assert made == {"team_eng": [m(1200)], "team_ops": [m(300)], "team_support": [m(250)]}
    assert sum(len(result.applied) for result in results) == 3
    assert sum(result.total(Action.ALLOCATE) for result in results) == m(1750)
    skipped = [s for result in results for s in result.steps if s.status is StepStatus.SKIPPED]
    assert len(skipped) == 3
    assert any(
        s.detail.endswith(
            "made by another run with the same op key (an earlier run that was interrupted, "
            "or one running now)"
        )
        for s in skipped
    )
