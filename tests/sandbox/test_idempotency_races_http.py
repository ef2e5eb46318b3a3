"""Requests racing with one Idempotency-Key over HTTP: exactly one movement, every other request
answered with it (a replay) or a 409, also while the first still sleeps in a latency fault, and
with two server processes on one sandbox file."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from reconciler.ledger.base import EntryType
from reconciler.ledger.wire import IDEMPOTENCY_HEADER, REPLAYED_HEADER
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.clocks import TickingClock
from tests.support.sandbox_process import serve_process
from tests.support.sandbox_server import BILLING_TOKEN, running_server

NOW = "2026-11-02T09:00:00Z"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "sandbox.db"
    with SqliteLedger.create(path, "org_acme", clock=lambda: START) as ledger:
        ledger.credit(1_000_000_000, note="seed")
    return path


def send(url: str, key: str, note: str, delay: float, answers: list[httpx.Response]) -> None:
    """After ``delay`` seconds, allocate 100.00 to team_a with ``key``; keep the answer."""
    time.sleep(delay)
    body = f'{{"team_id": "team_a", "amount": 100.00, "note": {json.dumps(note)}}}'
    headers = {
        "Authorization": f"Bearer {BILLING_TOKEN}",
        "Content-Type": "application/json",
        IDEMPOTENCY_HEADER: key,
    }
    answers.append(
        httpx.post(f"{url}/v1/wallets/allocate", content=body, headers=headers, timeout=30)
    )


def race(requests: list[tuple[str, str, str, float]]) -> list[httpx.Response]:
    """Send every (url, key, note, delay) at once in its own thread; the answers, any order."""
    answers: list[httpx.Response] = []
    threads = [threading.Thread(target=send, args=(*r, answers)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == len(requests)
    return answers


def movements(db: Path) -> tuple[list[int], list[int]]:
    """team_a's allocation_in amounts and the org wallet's allocation_out amounts, on the file."""
    with SqliteLedger(db, clock=lambda: START) as ledger:
        team = ledger.team_wallet("team_a")
        org = ledger.organization_wallet()
        assert ledger.check() == []
        received = (
            []
            if team is None
            else [
                e.amount for e in ledger.transactions(team.id) if e.type is EntryType.ALLOCATION_IN
            ]
        )
        given = [
            e.amount for e in ledger.transactions(org.id) if e.type is EntryType.ALLOCATION_OUT
        ]
    return received, given


def replays(answers: list[httpx.Response]) -> list[bool]:
    return sorted(a.headers.get(REPLAYED_HEADER) == "true" for a in answers)


@pytest.mark.parametrize(
    ("faults", "second_after"),
    [
        ("allocate:latency=1500", 0.0),  # both sleep, then reach the ledger together
        ("allocate:latency=1500", 0.4),
        ("allocate:latency=2500@1", 0.4),  # the second overtakes the sleeping first
    ],
)
def test_a_second_request_with_the_key_of_one_still_sleeping_gets_its_answer(
    db: Path, faults: str, second_after: float
) -> None:
    with running_server(db, clock=TickingClock(START), faults=faults) as url:
        answers = race([(url, "k1", "op=k1", 0.0), (url, "k1", "op=k1", second_after)])

    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json()["transaction"] == answers[1].json()["transaction"]
    assert replays(answers) == [False, True]
    assert movements(db) == ([100_000_000], [-100_000_000])


def test_the_key_of_a_sleeping_request_sent_for_another_request_is_a_409(db: Path) -> None:
    with running_server(db, clock=TickingClock(START), faults="allocate:latency=1500") as url:
        answers = race([(url, "k1", "plan=a op=k1", 0.0), (url, "k1", "plan=b op=k1", 0.0)])

    assert sorted(a.status_code for a in answers) == [200, 409]
    assert movements(db) == ([100_000_000], [-100_000_000])


def test_two_server_processes_on_one_file_move_each_key_once(db: Path) -> None:
    with (
        serve_process(db, now=NOW, faults="allocate:latency=1000") as first,
        serve_process(db, now=NOW, faults="allocate:latency=1000") as second,
    ):
        answers = race(
            [
                (first, "k1", "op=k1", 0.0),
                (second, "k1", "op=k1", 0.0),
                (first, "k2", "plan=a op=k2", 0.0),
                (second, "k2", "plan=b op=k2", 0.2),
                (second, "k3", "op=k3", 0.0),
                (first, "k3", "op=k3", 0.3),
            ]
        )

    assert sorted(a.status_code for a in answers) == [200] * 5 + [409]
    assert replays([a for a in answers if a.status_code == 200]) == [False] * 3 + [True] * 2
    assert movements(db) == ([100_000_000] * 3, [-100_000_000] * 3)
