"""Writers racing with one Idempotency-Key: the key is claimed in the movement's own write
transaction, so exactly one of them moves money and every other one gets its answer (a replay)
or a conflict, in threads and in processes sharing one file."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from reconciler.errors import LedgerConflict
from reconciler.ledger.base import EntryType, Transaction
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.sqlite_ledger import ManualClock, seeded_ledger, usd

WRITERS = 8


def race(
    path: Path, clock: ManualClock, write: Callable[[SqliteLedger, int], Transaction]
) -> tuple[list[Transaction], list[BaseException]]:
    """Run ``write(ledger, index)`` in WRITERS threads, each with its own ledger object, released
    together by a barrier; returns the answers and the exceptions."""
    barrier = threading.Barrier(WRITERS)
    answers: list[Transaction] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        with SqliteLedger(path, clock=clock) as ledger:
            barrier.wait(timeout=30)
            try:
                answer = write(ledger, index)
            except BaseException as exc:  # collected and judged by the test
                with lock:
                    errors.append(exc)
                return
            with lock:
                answers.append(answer)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers, errors


def allocations(path: Path, clock: ManualClock, team_id: str) -> list[int]:
    with SqliteLedger(path, clock=clock) as ledger:
        wallet = ledger.team_wallet(team_id)
        if wallet is None:
            return []
        return [
            e.amount for e in ledger.transactions(wallet.id) if e.type is EntryType.ALLOCATION_IN
        ]


def test_threads_sending_one_key_make_one_movement_and_the_rest_replay_it(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    path = tmp_path / "l.db"
    seeded_ledger(path, credit="1000", clock=clock).close()

    answers, errors = race(
        path,
        clock,
        lambda ledger, _: ledger.allocate("team_a", usd("100"), note="op=k1", idempotency_key="k1"),
    )

    assert errors == []
    assert len({a.id for a in answers}) == 1
    assert sorted(a.replayed for a in answers) == [False] + [True] * (WRITERS - 1)
    assert allocations(path, clock, "team_a") == [usd("100")]
    with SqliteLedger(path, clock=clock) as ledger:
        assert ledger.organization_wallet().balance == usd("900")
        assert ledger.check() == []


def test_threads_sending_one_key_for_different_requests_get_409_never_a_second_movement(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    path = tmp_path / "l.db"
    seeded_ledger(path, credit="1000", clock=clock).close()

    answers, errors = race(
        path,
        clock,
        lambda ledger, index: ledger.allocate(
            "team_a", usd("100"), note=f"plan={index} op=k1", idempotency_key="k1"
        ),
    )

    assert [a.replayed for a in answers] == [False]
    assert len(errors) == WRITERS - 1
    assert all(isinstance(e, LedgerConflict) for e in errors), errors
    assert allocations(path, clock, "team_a") == [usd("100")]


_PROCESS_SCRIPT = """
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from reconciler.errors import LedgerConflict
from reconciler.sandbox.ledger import SqliteLedger

path, go, name = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
with SqliteLedger(path, clock=lambda: datetime(2026, 11, 2, 9, 0, tzinfo=UTC)) as ledger:
    while not go.exists():
        time.sleep(0.001)
    moved = conflicts = 0
    for index in range(40):
        note = f"op=k{index}" if index % 2 else f"by={name} op=k{index}"
        try:
            answer = ledger.allocate(
                f"team_{index % 4}", 1_000_000, note=note, idempotency_key=f"k{index}"
            )
        except LedgerConflict:
            conflicts += 1
            continue
        moved += 0 if answer.replayed else 1
print(moved, conflicts)
"""


def test_two_processes_sending_the_same_keys_move_each_amount_once(
    tmp_path: Path, repo_root: Path
) -> None:
    clock = ManualClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    path = tmp_path / "l.db"
    seeded_ledger(path, credit="1000", clock=clock).close()
    go = tmp_path / "go"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _PROCESS_SCRIPT, str(path), str(go), name],
            cwd=repo_root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("p1", "p2", "p3")
    ]
    go.touch()
    moved = conflicts = 0
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        made, refused = map(int, out.split())
        moved, conflicts = moved + made, conflicts + refused

    # 40 keys: each made exactly one movement; the even ones (a different note per process)
    # answered every later sender with a conflict, the odd ones with a replay.
    assert moved == 40
    assert conflicts == 20 * 2
    for team in range(4):
        assert allocations(path, clock, f"team_{team}") == [usd("1")] * 10
    with SqliteLedger(path, clock=clock) as ledger:
        assert ledger.organization_wallet().balance == usd("960")
        assert ledger.check() == []
