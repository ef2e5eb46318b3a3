"""Against the real sandbox server: an apply killed with SIGKILL while a write is in flight, then
rerun at once; two and three applies at the same time; Ctrl-C during an apply, then a rerun.

Every process (server and applies) runs at the test's instant (``RECONCILER_NOW``). The server
sleeps in a latency fault before allocations, so a write is really in flight when the client
dies or a second run starts. The verdict is read from the ledger itself: each team's
allocation_in entries sum to its envelope (a movement made twice and reclaimed later still
fails), no op key twice, ``sandbox check`` passes, and the organization wallet never went below
headroom at any point of its history.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO

import pytest

from reconciler import notes
from reconciler.executor import CONCURRENCY_ENV
from reconciler.ledger.base import Scope
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.budgets import organization_doc, team_doc, write_budgets
from tests.support.git_repo import GitRepo
from tests.support.ledger_asserts import (
    allocated_in,
    org_dips_below,
    reclaimed,
    repeated_op_keys,
    sandbox_check,
    team_entries,
)
from tests.support.planning import m
from tests.support.sandbox_process import serve_process
from tests.support.sandbox_server import BILLING_TOKEN

NOW = "2026-11-15T12:00:00Z"
COMMITTED = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
CREDITED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ENVELOPES = {f"team_{n}": n * 100 for n in range(1, 7)}  # 2,100.00 in all
CREDIT, HEADROOM = 4200, 2000  # a single doubled movement would take the org below headroom


@dataclass
class Org:
    repo: GitRepo
    db: Path

    def start(self, url: str, *extra: str, concurrency: int = 1) -> Apply:
        """``reconciler apply --auto-approve`` against ``url``, running in the background, with
        ``concurrency`` movements in flight (1: one after another, as these scenarios time)."""
        env = {
            **os.environ,
            "RECONCILER_NOW": NOW,
            "KEEPTRUSTS_API_TOKEN": BILLING_TOKEN,
            CONCURRENCY_ENV: str(concurrency),
        }
        args = [sys.executable, "-m", "reconciler", "apply", "--auto-approve", "--ledger", url]
        proc = subprocess.Popen(
            [*args, *extra],
            cwd=self.repo.root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=hear_ctrl_c,
        )
        return Apply(proc)

    def teams_moved(self) -> int:
        """How many team wallets hold a movement, read from the ledger file."""
        with SqliteLedger(self.db, clock=lambda: CREDITED) as ledger:
            return sum(1 for w in ledger.list_wallets() if w.scope is Scope.TEAM)


@dataclass
class Apply:
    """A running apply whose output is read as it comes (progress is one line per movement)."""

    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    out: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._readers = [
            threading.Thread(target=collect, args=(self.proc.stderr, self.lines), daemon=True),
            threading.Thread(target=collect, args=(self.proc.stdout, self.out), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def said(self, prefix: str) -> bool:
        return any(line.startswith(prefix) for line in list(self.lines))

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        """Wait for the exit: (code, stdout, stderr); SIGKILL shows as -9."""
        code = self.proc.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return code, "".join(self.out), "".join(self.lines)


def hear_ctrl_c() -> None:
    """In the child: take SIGINT as Ctrl-C even when the test runs where it is ignored (a
    background job of a shell without job control), as it is for a user at a terminal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def collect(stream: IO[str] | None, into: list[str]) -> None:
    """Append each line of ``stream`` to ``into`` as it arrives."""
    for line in stream or ():
        into.append(line)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def org(tmp_path: Path) -> Org:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write(".gitignore", ".reconciler/\n")
    db = repo.root / ".reconciler" / "sandbox.db"
    with SqliteLedger.create(db, "org_acme", clock=lambda: CREDITED) as ledger:
        ledger.credit(m(CREDIT), note="initial credit")
    write_budgets(
        repo.root / "budgets",
        organization=organization_doc(
            "org_acme",
            headroom=str(HEADROOM),
            ledger="sqlite:///.reconciler/sandbox.db",
            guards={"max_movement_per_apply": Decimal("50000.00")},
        ),
        teams=[team_doc(team, str(envelope)) for team, envelope in ENVELOPES.items()],
    )
    repo.commit("six teams", when=COMMITTED)
    return Org(repo, db)


def assert_each_envelope_moved_once(db: Path) -> None:
    with SqliteLedger(db, clock=lambda: CREDITED) as ledger:
        assert allocated_in(ledger) == {team: m(amount) for team, amount in ENVELOPES.items()}
        assert reclaimed(ledger) == {}
        assert repeated_op_keys(ledger) == []
        assert org_dips_below(ledger, m(HEADROOM)) == []
    code, output = sandbox_check(db, now=NOW)
    assert code == 0, output


def plan_ids(db: Path) -> dict[str, str]:
    """The plan id in each team's allocation note, by team."""
    with SqliteLedger(db, clock=lambda: CREDITED) as ledger:
        found = {}
        for team, entries in team_entries(ledger).items():
            note = notes.parse_note(entries[0].note)
            assert note is not None, entries[0]
            found[team] = note.plan_id
    return found


def test_an_apply_killed_while_a_write_is_in_flight_then_rerun_moves_each_envelope_once(
    org: Org, tmp_path: Path
) -> None:
    # the killed run's second allocation, and the rerun's first, sleep 3 s before the ledger
    # sees them: the rerun sends its write while the dead run's one is still in flight
    with serve_process(org.db, now=NOW, faults="allocate:latency=3000@2,3") as url:
        killed = org.start(url)
        wait_for(lambda: org.teams_moved() == 1, "the first movement in the ledger")
        wait_for(lambda: killed.said("[1/6]"), "the killed run to go on to the second")
        time.sleep(0.8)  # it reads the team's flows again, then sends the write (it sleeps 3 s)
        killed.proc.send_signal(signal.SIGKILL)
        code, _, _ = killed.finish()
        assert code == -signal.SIGKILL
        assert org.teams_moved() == 1, "the second write must still be in flight"

        result = tmp_path / "rerun.json"
        code, out, err = org.start(url, "--result", str(result)).finish()
        assert code == 0, out + err

    assert_each_envelope_moved_once(org.db)
    rerun = json.loads(result.read_text(encoding="utf-8"))["plan_id"]
    by_killed = [team for team, plan in plan_ids(org.db).items() if plan != rerun]
    assert len(by_killed) == 2, "the write in flight when the run died must have landed"


@pytest.mark.parametrize("runs", [2, 3])
def test_applies_started_while_others_run_move_each_envelope_once(
    org: Org, tmp_path: Path, runs: int
) -> None:
    results = [tmp_path / f"run{index}.json" for index in range(runs)]
    with serve_process(org.db, now=NOW, faults="allocate:latency=700") as url:
        started = []
        for index in range(runs):
            if index:
                time.sleep(1.5)
            started.append(org.start(url, "--result", str(results[index])))
        finished = [run.finish() for run in started]

    for code, out, err in finished:
        assert code == 0, out + err
    assert_each_envelope_moved_once(org.db)
    summaries = [json.loads(r.read_text(encoding="utf-8"))["summary"] for r in results]
    # the runs' "applied" counts add up to what was really moved, and they did overlap: a later
    # run found movements of an earlier one that were not made when it planned
    assert sum(s["applied"] for s in summaries) == len(ENVELOPES)
    assert sum(s["skipped"] for s in summaries) >= 1, summaries


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_during_an_apply_waits_for_the_write_in_flight_unless_pressed_again(
    org: Org, tmp_path: Path, presses: int
) -> None:
    result = tmp_path / "result.json"
    with serve_process(org.db, now=NOW, faults="allocate:latency=2500@2") as url:
        interrupted = org.start(url, "--result", str(result))
        wait_for(lambda: org.teams_moved() == 1, "the first movement in the ledger")
        wait_for(lambda: interrupted.said("[1/6]"), "the run to go on to the second")
        time.sleep(0.8)  # the second write is sent, and sleeps 2.5 s in the server
        interrupted.proc.send_signal(signal.SIGINT)
        if presses == 2:
            time.sleep(0.3)  # the run is waiting for the write in flight: stop waiting
            interrupted.proc.send_signal(signal.SIGINT)
        code, _, err = interrupted.finish()

        assert code == 130, err
        assert "Traceback" not in err, err
        document = json.loads(result.read_text(encoding="utf-8"))
        assert (document["interrupted"], document["complete"]) == (True, False)
        statuses = [step["status"] for step in document["steps"]]
        if presses == 1:  # the write in flight was waited for: its outcome is known
            assert "interrupted: applied 2 of 6 movements; no write was in flight" in err, err
            assert statuses == ["applied", "applied"] + ["not_attempted"] * 4
        else:
            assert "interrupted: applied 1 of 6 movements" in err, err
            assert "a write may still be in flight" in err, err
            assert statuses == ["applied", "unknown"] + ["not_attempted"] * 4

        code, out, err = org.start(url).finish()
        assert code == 0, out + err

    assert_each_envelope_moved_once(org.db)


def test_an_apply_killed_mid_wave_with_8_in_flight_then_rerun_moves_each_envelope_once(
    org: Org, tmp_path: Path
) -> None:
    # killed once the first allocation is in the ledger, while the other five are in flight
    # (each sleeps 1.5 s in the server): they land after the client is gone
    with serve_process(org.db, now=NOW, faults="allocate:latency=1500@2+") as url:
        killed = org.start(url, concurrency=8)
        wait_for(lambda: org.teams_moved() == 1, "the first movement in the ledger")
        killed.proc.send_signal(signal.SIGKILL)
        code, _, _ = killed.finish()
        assert code == -signal.SIGKILL
        code, out, err = org.start(url, concurrency=8).finish()
        assert code == 0, out + err
    assert_each_envelope_moved_once(org.db)


def test_two_applies_with_8_in_flight_each_move_each_envelope_once(
    org: Org, tmp_path: Path
) -> None:
    results = [tmp_path / "run0.json", tmp_path / "run1.json"]
    with serve_process(org.db, now=NOW, faults="allocate:latency=700") as url:
        started = [org.start(url, "--result", str(r), concurrency=8) for r in results]
        finished = [run.finish() for run in started]
    for code, out, err in finished:
        assert code == 0, out + err
    assert_each_envelope_moved_once(org.db)
    summaries = [json.loads(r.read_text(encoding="utf-8"))["summary"] for r in results]
    assert sum(s["applied"] for s in summaries) == len(ENVELOPES)
