"""``reconciler sandbox …`` through the real CLI: exact output, exit codes, refusal messages."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.sqlite_ledger import ManualClock, usd


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["sandbox", *args], prog_name="reconciler")


@pytest.fixture
def scripted(tmp_path: Path) -> Path:
    """A small ledger with every entry type, written at fixed times.

    The times lie in the future so that the open hold of req-3 has not expired when the CLI
    (on the real clock) reads the ledger: reads release expired holds.
    """
    path = tmp_path / "ledger.db"
    clock = ManualClock(datetime(2099, 11, 2, 9, 0, tzinfo=UTC))
    with SqliteLedger.create(path, "org_acme", clock=clock, actor="console") as ledger:
        ledger.credit(usd("10000"), note="initial credit")
        clock.advance(timedelta(minutes=1))
        ledger.allocate("team_eng", usd("2500"), note="Q4 budget", actor="ci")
        ledger.allocate("team_ops", usd("100"))
        clock.advance(timedelta(minutes=1))
        first = ledger.reserve("req-1", usd("40"), team_id="team_eng", timeout_seconds=60)
        ledger.settle(first.reservation_id, usd("12.345678"))
        ledger.reserve("req-2", usd("95"), team_id="team_ops", timeout_seconds=60)
        clock.advance(timedelta(minutes=2))
        ledger.expire_reservations()
        ledger.reserve("req-3", usd("5"), team_id="team_ops", timeout_seconds=3600)
        ledger.reclaim("team_eng", usd("500.5"), note="trim")
    return path


def test_show_text(scripted: Path) -> None:
    result = run("show", "--db", str(scripted))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "SCOPE         OWNER          BALANCE  RESERVED     AVAILABLE  ALLOCATED      SPENT"
        "  STATUS\n"
        "organization  org_acme      7,900.50      0.00      7,900.50   2,099.50       0.00"
        "  Healthy\n"
        "team          team_eng  1,987.154322      0.00  1,987.154322   1,999.50  12.345678"
        "  Healthy\n"
        "team          team_ops        100.00      5.00         95.00     100.00       0.00"
        "  Healthy\n"
    )


def test_show_json(scripted: Path) -> None:
    result = run("show", "--db", str(scripted), "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document == {
        "format_version": 1,
        "wallets": [
            {
                "id": "wal_org_org_acme",
                "scope": "organization",
                "owner_id": "org_acme",
                "name": "org_acme",
                "currency": "USD",
                "balance": "7900.50",
                "reserved": "0.00",
                "available": "7900.50",
                "total_allocated": "2099.50",
                "total_spent": "0.00",
                "status": "Healthy",
            },
            {
                "id": "wal_team_team_eng",
                "scope": "team",
                "owner_id": "team_eng",
                "name": "team_eng",
                "currency": "USD",
                "balance": "1987.154322",
                "reserved": "0.00",
                "available": "1987.154322",
                "total_allocated": "1999.50",
                "total_spent": "12.345678",
                "status": "Healthy",
            },
            {
                "id": "wal_team_team_ops",
                "scope": "team",
                "owner_id": "team_ops",
                "name": "team_ops",
                "currency": "USD",
                "balance": "100.00",
                "reserved": "5.00",
                "available": "95.00",
                "total_allocated": "100.00",
                "total_spent": "0.00",
                "status": "Healthy",
            },
        ],
    }


def test_transactions_text(scripted: Path) -> None:
    result = run("transactions", "--db", str(scripted), "--team", "team_ops")
    assert result.exit_code == 0
    assert result.stdout == (
        "ID                TIME (UTC)           SCOPE  OWNER     TYPE            AMOUNT"
        "  BALANCE  ACTOR    NOTE\n"
        "txn_000000000005  2099-11-02 09:01:00  team   team_ops  allocation_in  +100.00"
        "   100.00  console\n"
        "txn_000000000009  2099-11-02 09:02:00  team   team_ops  reservation     -95.00"
        "   100.00  console  request req-2\n"
        "txn_000000000010  2099-11-02 09:04:00  team   team_ops  expiry          +95.00"
        "   100.00  console  request req-2\n"
        "txn_000000000011  2099-11-02 09:04:00  team   team_ops  reservation      -5.00"
        "   100.00  console  request req-3\n"
    )


def test_transactions_json(scripted: Path) -> None:
    result = run("transactions", "--db", str(scripted), "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["format_version"] == 1
    rows = document["transactions"]
    assert [(r["id"], r["owner_id"], r["type"], r["amount"], r["balance_after"]) for r in rows] == [
        ("txn_000000000001", "org_acme", "credit", "10000.00", "10000.00"),
        ("txn_000000000002", "org_acme", "allocation_out", "-2500.00", "7500.00"),
        ("txn_000000000003", "team_eng", "allocation_in", "2500.00", "2500.00"),
        ("txn_000000000004", "org_acme", "allocation_out", "-100.00", "7400.00"),
        ("txn_000000000005", "team_ops", "allocation_in", "100.00", "100.00"),
        ("txn_000000000006", "team_eng", "reservation", "-40.00", "2500.00"),
        ("txn_000000000007", "team_eng", "settlement", "-12.345678", "2487.654322"),
        ("txn_000000000008", "team_eng", "refund", "27.654322", "2487.654322"),
        ("txn_000000000009", "team_ops", "reservation", "-95.00", "100.00"),
        ("txn_000000000010", "team_ops", "expiry", "95.00", "100.00"),
        ("txn_000000000011", "team_ops", "reservation", "-5.00", "100.00"),
        ("txn_000000000012", "team_eng", "allocation_out", "-500.50", "1987.154322"),
        ("txn_000000000013", "org_acme", "allocation_in", "500.50", "7900.50"),
    ]
    assert rows[2] == {
        "id": "txn_000000000003",
        "wallet_id": "wal_team_team_eng",
        "scope": "team",
        "owner_id": "team_eng",
        "type": "allocation_in",
        "amount": "2500.00",
        "balance_after": "2500.00",
        "note": "Q4 budget",
        "created_at": "2099-11-02T09:01:00Z",
        "request_id": None,
        "actor": "ci",
    }
    assert rows[6]["request_id"] == "req-1"


def test_console_session(tmp_path: Path) -> None:
    db = str(tmp_path / "sub" / "s.db")
    result = run("init", "--db", db, "--org", "org_acme", "--credit", "10000")
    assert (result.exit_code, result.stdout) == (
        0,
        f"created sandbox ledger {db} for org_acme: organization wallet balance 10,000.00\n",
    )
    result = run("allocate", "--db", db, "--team", "team_a", "2500", "--note", "q4")
    assert (result.exit_code, result.stdout) == (
        0,
        "allocated 2,500.00 to team_a: team balance 2,500.00, organization available "
        "7,500.00 (txn_000000000003)\n",
    )
    result = run("reclaim", "--db", db, "--team", "team_a", "500.50")
    assert (result.exit_code, result.stdout) == (
        0,
        "reclaimed 500.50 from team_a: team balance 1,999.50, organization available "
        "8,000.50 (txn_000000000004)\n",
    )
    result = run("credit", "--db", db, "1.25", "--note", "top-up")
    assert (result.exit_code, result.stdout) == (
        0,
        "credited 1.25 to the organization wallet: balance 8,001.75 (txn_000000000006)\n",
    )
    result = run("transactions", "--db", db, "--format", "json")
    rows = json.loads(result.stdout)["transactions"]
    assert {r["actor"] for r in rows} == {"console"}
    assert [r["note"] for r in rows] == ["initial credit", "q4", "q4", "", "", "top-up"]
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z", r["created_at"]) for r in rows
    )
    text = run("transactions", "--db", db).stdout
    stripped = [
        re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "TIME", line) for line in text.splitlines()
    ]
    assert stripped[1:3] == [
        "txn_000000000001  TIME  organization  org_acme  credit          +10,000.00  10,000.00"
        "  console  initial credit",
        "txn_000000000002  TIME  organization  org_acme  allocation_out   -2,500.00   7,500.00"
        "  console  q4",
    ]
    result = run("check", "--db", db)
    assert (result.exit_code, result.stdout) == (
        0,
        "ledger OK: 6 entries, 2 wallets, invariants hold\n",
    )


def test_init_again(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    assert run("init", "--db", db, "--org", "org_acme").exit_code == 0
    result = run("init", "--db", db, "--org", "org_acme", "--credit", "5")
    assert result.exit_code == 0
    assert result.stdout == (
        f"sandbox ledger already exists at {db} for org_acme: organization wallet balance 0.00\n"
    )
    assert result.stderr == (
        "warning: the ledger already exists, --credit ignored; use `reconciler sandbox credit`\n"
    )
    result = run("init", "--db", db, "--org", "org_other")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {db} is already the sandbox ledger of org_acme, not org_other: "
        "pick another --db path\n"
    )


def test_refusals(scripted: Path) -> None:
    db = str(scripted)
    before = run("show", "--db", db, "--format", "json").stdout
    cases = [
        (
            ["allocate", "--db", db, "--team", "team_eng", "9000"],
            "error: organization wallet has 7,900.50 available; cannot allocate 9,000.00 "
            "to team_eng\n",
        ),
        (
            ["reclaim", "--db", db, "--team", "team_ops", "96"],
            "error: team_ops has 95.00 available; cannot reclaim 96.00\n",
        ),
        (
            ["reclaim", "--db", db, "--team", "team_nope", "1"],
            "error: team team_nope has no wallet: nothing to reclaim\n",
        ),
        (
            ["transactions", "--db", db, "--team", "team_nope"],
            f"error: team team_nope has no wallet in {db}\n",
        ),
        (
            ["show", "--db", str(scripted.parent / "missing.db")],
            f"error: no sandbox ledger at {scripted.parent / 'missing.db'}: create it with "
            f"`reconciler sandbox init --db {scripted.parent / 'missing.db'} --org ORG_ID`\n",
        ),
    ]
    for args, message in cases:
        result = run(*args)
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", message)
    assert run("show", "--db", db, "--format", "json").stdout == before


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (
            "0.001",
            "0.001 has more precision than cents (2 decimal places); amounts here are "
            "whole cents, e.g. 2500.00",
        ),
        ("0", "0 is not more than zero"),
        ("ten", "'ten' is not a decimal number; amounts here are whole cents, e.g. 2500.00"),
        (
            "1e2",
            "1e2 is not a plain decimal number (exponent notation); write amounts as plain "
            "decimals, e.g. 2500.00",
        ),
    ],
)
def test_bad_amounts_are_usage_errors(scripted: Path, amount: str, message: str) -> None:
    result = run("allocate", "--db", str(scripted), "--team", "team_eng", amount)
    assert result.exit_code == 64
    assert result.stderr.endswith(f"Error: Invalid value for 'AMOUNT': {message}\n")


def test_check_lists_every_violation(scripted: Path) -> None:
    raw = sqlite3.connect(scripted)
    try:
        raw.execute("UPDATE wallets SET reserved = 0 WHERE owner_id = 'team_ops'")
        raw.commit()
    finally:
        raw.close()
    result = run("check", "--db", str(scripted))
    assert result.exit_code == 1
    assert result.stdout == (
        "violation: wal_team_team_ops: reserved 0.00 != 5.00 from its entries\n"
        "violation: wal_team_team_ops: reserved 0.00 != open holds 5.00\n"
    )
    assert result.stderr == "error: ledger check found 2 violation(s)\n"


def test_every_command_has_an_example() -> None:
    for name in ("init", "credit", "allocate", "reclaim", "show", "transactions", "check"):
        result = run(name, "--help")
        assert result.exit_code == 0
        assert f"Example:\n    reconciler sandbox {name} --db" in result.stdout
    listing = run("--help").stdout
    assert "Example:" in listing
    assert all(name in listing for name in ("init", "allocate", "transactions", "check"))


def test_serve_is_registered() -> None:
    result = run("serve", "--help")
    assert result.exit_code == 0
    assert "Usage: reconciler sandbox serve" in result.stdout


def test_init_refuses_bad_ids_and_foreign_files(tmp_path: Path) -> None:
    result = run("init", "--db", str(tmp_path / "s.db"), "--org", "org acme")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith("error: organization id 'org acme' is not a valid id: ")
    assert not (tmp_path / "s.db").exists()
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database\n" * 200, encoding="utf-8")
    result = run("show", "--db", str(junk))
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {junk} is not a sandbox ledger (file is not a database): create one with "
        "`reconciler sandbox init --db PATH --org ORG_ID` at another path\n"
    )
    assert junk.read_text(encoding="utf-8") == "not a database\n" * 200
