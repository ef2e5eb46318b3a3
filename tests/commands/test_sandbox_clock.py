"""`reconciler sandbox` commands honour the test clock RECONCILER_NOW (QA-B #4)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.ledger.http import HttpLedger
from reconciler.sandbox.ledger import SqliteLedger

FIXED = "2026-12-02T10:00:00Z"


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["sandbox", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_sandbox_movements_are_stamped_with_reconciler_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "sandbox.db")
    monkeypatch.setenv("RECONCILER_NOW", FIXED)
    run("init", "--db", db, "--org", "org_acme", "--credit", "1000.00")
    run("credit", "--db", db, "100.00")
    run("allocate", "--db", db, "--team", "team_eng", "500.00")
    run("reclaim", "--db", db, "--team", "team_eng", "200.00")
    doc = json.loads(run("transactions", "--db", db, "--format", "json"))
    entries = doc["transactions"]
    assert len(entries) == 6
    assert {e["created_at"] for e in entries} == {FIXED}


def test_a_malformed_reconciler_now_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "yesterday")
    result = CliRunner().invoke(
        cli, ["sandbox", "init", "--db", str(tmp_path / "s.db"), "--org", "org_acme"]
    )
    assert (result.exit_code, result.stderr) == (
        64,
        "error: RECONCILER_NOW='yesterday' is not an ISO-8601 time\n",
    )


def test_sandbox_serve_stamps_entries_with_reconciler_now(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    SqliteLedger.create(db, "org_acme").close()
    env = {**os.environ, "RECONCILER_NOW": FIXED, "RECONCILER_SANDBOX_TOKEN": "t0ken"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "serve", "--db", str(db), "--port", "0"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.fullmatch(rf"sandbox ledger {re.escape(str(db))} serving at (\S+)\n", line)
        assert match, line
        ledger = HttpLedger.from_url(match[1], token="t0ken", timeout=10)
        ledger.credit(50_000_000, note="seed")
        made = ledger.allocate("team_eng", 20_000_000, note="eng")
        ledger.close()
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    assert made.created_at.isoformat() == "2026-12-02T10:00:00+00:00"
