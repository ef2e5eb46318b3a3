"""Crash safety, systematically: ``reconciler apply`` killed with SIGKILL at every distinct point
of its run, then run again at once, on the embedded ledger and over HTTP.

The kill comes from a failpoint (``RECONCILER_FAILPOINTS``), so it lands exactly where the test
asks, never where a timer happened to be. After the rerun every team must hold exactly what the
budgets ask, on the ledger itself: the allocation entries per team are compared as a multiset,
so a movement made twice and reversed later still fails.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from reconciler import notes
from reconciler.ledger.base import EntryType
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.budgets import organization_doc, team_doc, write_budgets
from tests.support.clocks import TickingClock
from tests.support.git_repo import GitRepo
from tests.support.planning import m
from tests.support.proof import record
from tests.support.sandbox_server import BILLING_TOKEN, running_server

NOW = "2026-11-15T12:00:00Z"
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
HEADROOM = "1000.00"

# The killed run: reclaim 700.00 from team_eng, then allocate team_ops 500.00 and team_qa 100.00.
BEFORE = {"team_eng": "1200.00", "team_ops": "300.00"}
AFTER = {"team_eng": "500.00", "team_ops": "800.00", "team_qa": "100.00"}
EXPECTED = {
    "team_eng": [m(1200), -m(700)],
    "team_ops": [m(300), m(500)],
    "team_qa": [m(100)],
}
KILL_POINTS = [
    "apply.before_write@1",
    "apply.after_write@1",
    "apply.between_waves@1",
    "apply.before_write@2",
    "apply.after_write@2",
    "apply.before_write@3",
    "apply.after_write@3",
    "apply.before_check@1",
]


@dataclass
class Org:
    repo: GitRepo
    db: Path
    clock: TickingClock

    def write(self, envelopes: dict[str, str]) -> None:
        write_budgets(
            self.repo.root / "budgets",
            organization=organization_doc(
                "org_acme",
                headroom=HEADROOM,
                ledger="sqlite:///.reconciler/sandbox.db",
                guards={"max_movement_per_apply": Decimal("50000.00")},
            ),
            teams=[team_doc(t, e) for t, e in envelopes.items()],
        )

    def apply(
        self, ledger: str | None, failpoint: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self.run(ledger, "apply", "--auto-approve", failpoint=failpoint)

    def run(
        self, ledger: str | None, *command: str, failpoint: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``reconciler COMMAND`` in a subprocess at the test's instant (SIGKILL shows as -9)."""
        env = {**os.environ, "RECONCILER_NOW": NOW, "KEEPTRUSTS_API_TOKEN": BILLING_TOKEN}
        if failpoint:
            env["RECONCILER_FAILPOINTS"] = failpoint
        args = [sys.executable, "-m", "reconciler", *command]
        if ledger:
            args += ["--ledger", ledger]
        return subprocess.run(
            args, cwd=self.repo.root, env=env, capture_output=True, text=True, timeout=60
        )


@pytest.fixture
def org(tmp_path: Path) -> Org:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write(".gitignore", ".reconciler/\n")
    db = repo.root / ".reconciler" / "sandbox.db"
    found = Org(repo, db, TickingClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC)))
    with SqliteLedger.create(db, "org_acme", clock=found.clock) as ledger:
        ledger.credit(m(5000), note="initial credit")
    found.write(BEFORE)
    repo.commit("eng and ops", when=T0)
    first = found.apply(None)
    assert first.returncode == 0, first.stderr
    found.write(AFTER)
    repo.commit("eng down, ops up, qa added", when=T0 + timedelta(days=1))
    return found


@contextmanager
def ledger_url(kind: str, org: Org) -> Iterator[str | None]:
    if kind == "embedded":
        yield None
        return
    with running_server(org.db, clock=org.clock) as url:
        yield url


def assert_exactly_once(db: Path) -> None:
    with SqliteLedger(db, clock=lambda: T0) as ledger:
        made: dict[str, list[int]] = {}
        ops: Counter[str] = Counter()
        for wallet in ledger.list_wallets():
            if not wallet.owner_id.startswith("team_"):
                continue
            for entry in ledger.transactions(wallet.id):
                if entry.type in {EntryType.ALLOCATION_IN, EntryType.ALLOCATION_OUT}:
                    made.setdefault(wallet.owner_id, []).append(entry.amount)
                    note = notes.parse_note(entry.note)
                    assert note is not None, entry
                    ops[note.op_key] += 1
        assert {t: sorted(a) for t, a in made.items()} == {
            t: sorted(a) for t, a in EXPECTED.items()
        }
        assert [op for op, count in ops.items() if count > 1] == []
        org_entries = list(ledger.transactions(ledger.organization_wallet().id))
        assert min(e.balance_after for e in org_entries[1:]) >= m(HEADROOM)
        assert ledger.check() == []


@pytest.mark.parametrize("kind", ["embedded", "http"])
@pytest.mark.parametrize("failpoint", KILL_POINTS)
def test_an_apply_killed_anywhere_then_rerun_moves_each_amount_exactly_once(
    org: Org, kind: str, failpoint: str
) -> None:
    with ledger_url(kind, org) as url:
        killed = org.apply(url, failpoint)
        assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr)
        rerun = org.apply(url)
        assert rerun.returncode == 0, rerun.stderr
        after = org.run(url, "plan", "--detailed-exitcode")
        assert after.returncode == 0, after.stdout
    assert_exactly_once(org.db)
    record(f"apply runs killed with SIGKILL, then re-run exactly once ({kind} ledger)")


def test_an_unarmed_failpoint_changes_nothing(org: Org) -> None:
    with nullcontext():
        result = org.apply(None, "apply.before_write@99")
    assert result.returncode == 0, result.stderr
    assert_exactly_once(org.db)


@contextmanager
def faulty_server(org: Org, spec: str) -> Iterator[str]:
    with running_server(org.db, clock=org.clock, faults=spec) as url:
        yield url


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Three fault seeds in the ordinary suite, forty under ``make reliability``."""
    if "seed" in metafunc.fixturenames:
        seeds = 40 if metafunc.config.getoption("--reliability") else 3
        metafunc.parametrize("seed", range(1, seeds + 1))


def test_random_faults_never_double_a_movement_and_reruns_finish_the_job(
    org: Org, seed: int
) -> None:
    spec = (
        "*:503~0.2,allocate:lose~0.15,reclaim:lose~0.15,allocate:reset~0.05,"
        f"reclaim:reset~0.05,seed={seed}"
    )
    codes = []
    with faulty_server(org, spec) as url:
        for _ in range(8):
            result = org.apply(url)
            codes.append(result.returncode)
            assert result.returncode in (0, 1, 3), result.stderr
            assert "Traceback" not in result.stderr
            if result.returncode == 0:
                break
    assert codes[-1] == 0, codes
    assert_exactly_once(org.db)
    record("fault seeds survived over HTTP (each movement exactly once)")
    record("apply runs under random faults", len(codes))


@pytest.mark.parametrize("kind", ["embedded", "http"])
@pytest.mark.parametrize("runs", [2, 3])
def test_concurrent_applies_move_each_amount_exactly_once(org: Org, kind: str, runs: int) -> None:
    spec = "allocate:latency=300,reclaim:latency=300,*:503~0.1,seed=5"
    server = faulty_server(org, spec) if kind == "http" else nullcontext(None)
    with server as url:
        env = {**os.environ, "RECONCILER_NOW": NOW, "KEEPTRUSTS_API_TOKEN": BILLING_TOKEN}
        args = [sys.executable, "-m", "reconciler", "apply", "--auto-approve"]
        if url:
            args += ["--ledger", url]
        started = [
            subprocess.Popen(
                args, cwd=org.repo.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for _ in range(runs)
        ]
        finished = [(p.wait(timeout=90), p.communicate()) for p in started]
        # a run may end 3 when an injected 503 left a write's outcome unknown; one more
        # apply finishes what any run left
        assert all(code in (0, 3) for code, _ in finished), finished
        final = org.apply(url)
        assert final.returncode == 0, final.stderr
    assert_exactly_once(org.db)
    record(f"concurrent applies ({kind} ledger)", runs)


def test_reclaims_racing_with_spend_never_take_reserved_funds(org: Org) -> None:
    """Lower every envelope while simulated gateway traffic reserves and settles on the same
    ledger: no reclaim takes a hold or pushes a wallet below zero, and what could not be taken
    is reported (a failed step, then a deficit), never an error without a line."""
    org.write({"team_eng": "50.00", "team_ops": "20.00", "team_qa": "100.00"})
    org.repo.commit("envelopes down", when=T0 + timedelta(days=2))
    env = {**os.environ, "RECONCILER_NOW": NOW}
    traffic = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "sandbox",
            "traffic",
            "--db",
            str(org.db),
            "budgets",
            "--requests",
            "3000",
            "--seed",
            "11",
            "--days",
            "3",
            "--concurrency",
            "4",
        ],
        cwd=org.repo.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    codes = []
    for _ in range(4):
        result = org.apply(None)
        codes.append(result.returncode)
        assert result.returncode in (0, 1, 3), result.stderr
        assert "Traceback" not in result.stderr
        if result.returncode == 0 and traffic.poll() is not None:
            break
    _out, err = traffic.communicate(timeout=120)
    assert traffic.returncode == 0, err
    final = org.apply(None)
    assert final.returncode == 0, final.stderr
    plan = org.run(None, "plan", "--format", "json")
    with SqliteLedger(org.db, clock=lambda: T0) as ledger:
        assert ledger.check() == []
        for wallet in ledger.list_wallets():
            assert wallet.balance >= 0, wallet
            assert wallet.available >= 0, wallet
            assert wallet.reserved >= 0, wallet
    document = json.loads(plan.stdout)
    assert document["changes"] == []  # nothing left that could be taken
    for deficit in document["deficits"]:
        assert deficit["reason"].startswith("cannot reclaim: ")
    record("applies racing with simulated gateway traffic", len(codes) + 1)
