"""Many writers at once, in threads and in processes, never break the ledger's invariants."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from pathlib import Path

from reconciler.errors import BudgetExceeded, InsufficientFunds, LedgerError, LedgerNotFound
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.sqlite_ledger import seeded_ledger, usd

TEAMS = ("team_a", "team_b", "team_c")


def random_operations(ledger: SqliteLedger, seed: int, count: int) -> tuple[int, int]:
    """Run ``count`` random writes; returns (credits made, refusals seen)."""
    rng = random.Random(seed)
    credited = refused = 0
    for index in range(count):
        team = rng.choice(TEAMS)
        amount = rng.randint(1, 400_000_000)
        choice = rng.random()
        try:
            if choice < 0.05:
                ledger.credit(amount, note=f"top-up {seed}")
                credited += amount
            elif choice < 0.45:
                ledger.allocate(team, amount, note=f"t{seed}")
            elif choice < 0.7:
                ledger.reclaim(team, amount, note=f"t{seed}")
            else:
                reservation = ledger.reserve(f"req-{seed}-{index}", amount, team_id=team)
                ledger.settle(reservation.reservation_id, rng.randint(0, amount))
        except (InsufficientFunds, BudgetExceeded, LedgerNotFound):
            refused += 1
        except LedgerError as exc:  # pragma: no cover - would be a bug; fail loudly
            raise AssertionError(f"unexpected {exc!r}") from exc
    return credited, refused


def conserved(ledger: SqliteLedger, credits: int) -> None:
    wallets = ledger.list_wallets()
    spent = sum(w.total_spent for w in wallets)
    assert sum(w.balance for w in wallets) + spent == credits
    assert all(w.available >= 0 for w in wallets)
    assert ledger.check() == []


def test_threads_share_one_ledger(tmp_path: Path) -> None:
    ledger = seeded_ledger(tmp_path / "l.db", credit="2000")
    results: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        try:
            results.append(random_operations(ledger, seed, 50))
        except BaseException as exc:  # collected and re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 8
    assert sum(refused for _, refused in results) > 0  # the workload did hit the limits
    conserved(ledger, usd("2000") + sum(credited for credited, _ in results))
    ids = [e.id for e in ledger.all_transactions()]
    assert len(ids) == len(set(ids)) == ledger.entry_count()
    ledger.close()


def test_threads_with_their_own_ledger_objects(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    seeded_ledger(path, credit="500").close()
    results: list[tuple[int, int]] = []

    def worker(seed: int) -> None:
        with SqliteLedger(path, actor=f"worker-{seed}") as own:
            results.append(random_operations(own, seed, 30))

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    with SqliteLedger(path) as ledger:
        conserved(ledger, usd("500") + sum(credited for credited, _ in results))
        actors = {e.actor for e in ledger.all_transactions()}
        assert {f"worker-{seed}" for seed in range(4)} <= actors


_PROCESS_SCRIPT = """
import sys
from pathlib import Path
from tests.sandbox.test_concurrency import random_operations
from reconciler.sandbox.ledger import SqliteLedger

with SqliteLedger(Path(sys.argv[1])) as ledger:
    credited, refused = random_operations(ledger, int(sys.argv[2]), 60)
print(credited)
"""


def test_two_processes_write_one_file(tmp_path: Path, repo_root: Path) -> None:
    path = tmp_path / "l.db"
    seeded_ledger(path, credit="1000").close()
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _PROCESS_SCRIPT, str(path), str(seed)],
            cwd=repo_root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (101, 202)
    ]
    credited = 0
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        credited += int(out)
    with SqliteLedger(path) as ledger:
        conserved(ledger, usd("1000") + credited)
        assert {e.note for e in ledger.all_transactions()} >= {"t101", "t202"}
