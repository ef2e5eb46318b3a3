"""The executor against the real sandbox server on 127.0.0.1, with injected faults."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from reconciler import executor, notes
from reconciler.errors import StalePlanError
from reconciler.executor import StepStatus
from reconciler.ledger.http import HttpLedger
from reconciler.ledger.retry import RetryPolicy
from reconciler.model import DesiredState
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.executing import Clock, check_saved, make_plan
from tests.support.planning import COMMIT, desired, m, organization, team
from tests.support.sandbox_server import BILLING_TOKEN, running_server

NO_WAIT = RetryPolicy(sleep=lambda _seconds: None)


def state() -> DesiredState:
    return desired(
        organization(headroom=1000),
        team("team_eng", 1200),
        team("team_ops", 300),
        team("team_support", 250),
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "sandbox.db"
    with SqliteLedger.create(path, "org_acme", clock=Clock()) as ledger:
        ledger.credit(m(10_000), note="initial credit")
    return path


@contextmanager
def http_ledger(db: Path, faults: str | None = None, *, clock: Clock) -> Iterator[HttpLedger]:
    with running_server(db, faults=faults, clock=clock) as url:
        ledger = HttpLedger.from_url(url, token=BILLING_TOKEN)
        try:
            yield ledger
        finally:
            ledger.close()


def amounts(db: Path) -> dict[str, list[int]]:
    """Every team's allocation entries, straight from the database file."""
    with SqliteLedger(db, clock=Clock()) as ledger:
        result: dict[str, list[int]] = {}
        for wallet in ledger.list_wallets():
            if wallet.owner_id.startswith("team_"):
                result[wallet.owner_id] = [e.amount for e in ledger.transactions(wallet.id)]
        assert ledger.check() == []
        return result


def test_apply_over_http_writes_notes_with_the_commit_and_plan_is_then_empty(db: Path) -> None:
    clock = Clock()
    with http_ledger(db, clock=clock) as ledger:
        plan = make_plan(state(), ledger, clock)
        result = executor.apply(plan, ledger, clock=clock)
        assert result.complete
        wallet = ledger.team_wallet("team_eng")
        assert wallet is not None
        (entry,) = ledger.transactions(wallet.id)
        note = notes.parse_note(entry.note)
        assert note is not None
        assert (note.commit, note.op_key, note.plan_id) == (
            COMMIT,
            plan.changes[0].op_key,
            plan.plan_id,
        )
        assert make_plan(state(), ledger, clock).changes == ()
    assert amounts(db) == {"team_eng": [m(1200)], "team_ops": [m(300)], "team_support": [m(250)]}


@pytest.mark.parametrize("kind", ["lose", "reset"])
def test_a_lost_response_never_doubles_a_movement(db: Path, kind: str) -> None:
    clock = Clock()
    with http_ledger(db, f"allocate:{kind}@1,2;reclaim:{kind}@1", clock=clock) as ledger:
        plan = make_plan(state(), ledger, clock)
        result = executor.apply(plan, ledger, clock=clock, retry=NO_WAIT)
        assert result.complete
        assert [s.status for s in result.steps] == [StepStatus.APPLIED] * 3
        lowered = desired(organization(headroom=1000), team("team_eng", 1000))
        result = executor.apply(make_plan(lowered, ledger, clock), ledger, clock=clock)
        assert result.complete
    assert amounts(db) == {
        "team_eng": [m(1200), -m(200)],
        "team_ops": [m(300)],
        "team_support": [m(250)],
    }


def test_a_5xx_before_the_work_is_retried_once_found_missing(db: Path) -> None:
    clock = Clock()
    with http_ledger(db, "allocate:503@2", clock=clock) as ledger:
        result = executor.apply(
            make_plan(state(), ledger, clock), ledger, clock=clock, retry=NO_WAIT
        )
    assert result.complete
    assert amounts(db) == {"team_eng": [m(1200)], "team_ops": [m(300)], "team_support": [m(250)]}


def test_a_partial_apply_resumes_without_doubling(db: Path) -> None:
    clock = Clock()
    with http_ledger(db, "allocate:503@2+", clock=clock) as ledger:
        plan = make_plan(state(), ledger, clock)
        # one at a time: the halt leaves the third movement unstarted
        first = executor.apply(plan, ledger, clock=clock, retry=NO_WAIT, concurrency=1)
    # a 5xx answers after the request was sent: the write may still land (a proxy's 503 while
    # the service works on), so its outcome is unknown, never "not made"
    assert [s.status for s in first.steps] == [
        StepStatus.APPLIED,
        StepStatus.UNKNOWN,
        StepStatus.NOT_ATTEMPTED,
    ]
    assert first.steps[1].detail.startswith("allocate 300.00 to team_ops failed 4 times, and op ")
    assert first.steps[1].detail.endswith(": a write may still land; re-run apply to resume")
    assert amounts(db) == {"team_eng": [m(1200)]}

    with http_ledger(db, clock=clock) as ledger:
        check_saved(plan, ledger, COMMIT, clock(), state())  # own op keys do not make it stale
        second = executor.apply(plan, ledger, clock=clock)
    assert [s.status for s in second.steps] == [
        StepStatus.SKIPPED,
        StepStatus.APPLIED,
        StepStatus.APPLIED,
    ]
    assert amounts(db) == {"team_eng": [m(1200)], "team_ops": [m(300)], "team_support": [m(250)]}


def test_a_console_allocation_over_http_makes_a_saved_plan_stale(db: Path) -> None:
    clock = Clock()
    with http_ledger(db, clock=clock) as ledger:
        plan = make_plan(state(), ledger, clock)
        ledger.allocate("team_support", m(40), note="console: conference budget")
        with pytest.raises(StalePlanError, match=r"team_support's allocation flows changed"):
            check_saved(plan, ledger, COMMIT, clock(), state())


def test_a_429_is_retried_without_doubling(db: Path) -> None:
    clock = Clock()
    with http_ledger(db, "allocate:429@1;reclaim:429@1", clock=clock) as ledger:
        result = executor.apply(
            make_plan(state(), ledger, clock), ledger, clock=clock, retry=NO_WAIT
        )
    assert result.complete
    assert amounts(db) == {"team_eng": [m(1200)], "team_ops": [m(300)], "team_support": [m(250)]}
