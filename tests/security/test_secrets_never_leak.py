"""The API token never appears in any output, log, crash log, plan, result or message
(DESIGN §7), with --debug too, for succeeding and failing runs alike.

Every run is a real subprocess with the token in ``KEEPTRUSTS_API_TOKEN``, ``TMPDIR`` pointed
into the test's directory (so a crash log would land where the scan looks), against the real
sandbox server started with that token. Afterwards the scan reads every byte the runs printed
and every file they left behind.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.sandbox.ledger import SqliteLedger
from tests.support.budgets import organization_doc, team_doc, write_budgets
from tests.support.clocks import TickingClock
from tests.support.git_repo import GitRepo
from tests.support.planning import m
from tests.support.sandbox_server import running_server

SECRET = "kt_live_S3CRET-never-shown-0123456789"
READ_SECRET = "kt_live_R3AD-never-shown-9876543210"
NOW = "2026-11-15T12:00:00Z"


@dataclass
class Runs:
    root: Path
    outputs: list[str] = field(default_factory=list)

    def run(self, *args: str, token: str = SECRET, **env: str) -> subprocess.CompletedProcess[str]:
        environ = {
            **os.environ,
            "RECONCILER_NOW": NOW,
            "KEEPTRUSTS_API_TOKEN": token,
            "TMPDIR": str(self.root / "tmp"),
            **env,
        }
        result = subprocess.run(
            [sys.executable, "-m", "reconciler", "--debug", *args],
            cwd=self.root / "repo",
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.outputs += [result.stdout, result.stderr]
        return result

    def files(self) -> Iterator[tuple[Path, bytes]]:
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and ".git" not in path.parts:
                yield path, path.read_bytes()


@pytest.fixture
def runs(tmp_path: Path) -> Runs:
    (tmp_path / "tmp").mkdir()
    repo = GitRepo.init(tmp_path / "repo")
    repo.write(".gitignore", ".reconciler/\n")
    write_budgets(
        repo.root / "budgets",
        organization=organization_doc("org_acme", headroom="100.00"),
        teams=[team_doc("team_eng", "500.00"), team_doc("team_ops", "100.00")],
    )
    repo.commit("budgets", when=datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
    return Runs(tmp_path)


def test_no_command_ever_shows_the_token(runs: Runs) -> None:
    db = runs.root / "ledger.db"
    clock = TickingClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    with SqliteLedger.create(db, "org_acme", clock=clock) as ledger:
        ledger.credit(m(10_000), note="initial credit")
    with running_server(db, clock=clock, token=SECRET, read_token=READ_SECRET) as url:
        # failing runs: a read-only token that tries to write, a refused token, nothing
        # listening, a URL with the token pasted into it, a token with a newline
        failed = [
            runs.run("apply", "budgets", "--ledger", url, "--auto-approve", token=READ_SECRET),
            runs.run("plan", "budgets", "--ledger", url, token=SECRET + "x"),
            runs.run("plan", "budgets", "--ledger", "http://127.0.0.1:9"),
            runs.run("plan", "budgets", "--ledger", f"http://{SECRET}@127.0.0.1:9/"),
            runs.run("plan", "budgets", "--ledger", url, token=f"{SECRET}\n"),
        ]
        succeeded = [
            runs.run("validate", "budgets"),
            runs.run("plan", "budgets", "--ledger", url, "--out", "plan.json"),
            runs.run("plan", "budgets", "--ledger", url, "--format", "json"),
            runs.run("plan", "budgets", "--ledger", url, "--format", "markdown"),
            runs.run("show", "plan.json"),
            runs.run("show", "plan.json", "--format", "json"),
            runs.run("apply", "plan.json", "--auto-approve", "--result", "result.json"),
            runs.run("plan", "budgets", "--ledger", url, "--detailed-exitcode"),
        ]
    with running_server(db, clock=clock, token=SECRET, faults="*:503") as url:
        failed.append(runs.run("plan", "budgets", "--ledger", url))
    assert [r.returncode for r in succeeded] == [0] * 8, [r.stderr for r in succeeded]
    assert [r.returncode for r in failed] == [1] * 6, [r.stderr for r in failed]
    assert all("Traceback" not in r.stderr for r in failed + succeeded)

    for text in runs.outputs:
        assert SECRET not in text
        assert READ_SECRET not in text
        assert "S3CRET" not in text
    scanned = 0
    for path, data in runs.files():
        scanned += 1
        assert SECRET.encode() not in data, path
        assert b"S3CRET" not in data, path
        assert READ_SECRET.encode() not in data, path
    assert scanned >= 3  # plan.json, result.json, the ledger files at least


def test_the_sandbox_server_compares_tokens_in_constant_time_and_uses_parameterised_sql() -> None:
    import inspect

    from reconciler.sandbox import server

    assert "hmac.compare_digest" in inspect.getsource(server)
    sandbox = Path(server.__file__).parent
    interpolated = re.compile(
        r"""execute(?:many|script)?\(\s*f["'](?![^"']*(?:ENTRY_SELECT|PRAGMA))"""
    )
    offenders = [
        f"{path.name}:{number}"
        for path in sorted(sandbox.glob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if interpolated.search(line)
    ]
    assert offenders == []
