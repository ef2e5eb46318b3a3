"""``reconciler suggest``: suggestions from a real ledger's spend; ``--write`` edits in place."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli
from tests.support.sqlite_ledger import ManualClock, seeded_ledger, usd
from tests.usage.test_usage import budgets

NOW = "2026-11-20T12:00:00Z"


def ledger(tmp_path: Path) -> Path:
    db = tmp_path / "l.db"
    clock = ManualClock(datetime(2026, 9, 10, tzinfo=UTC))
    led = seeded_ledger(db, credit="1000.00", teams={"team_a": "300.00"}, clock=clock)
    led.configure_gateway({"alpha": "team_a", "beta": "team_b"}, True)
    for number, (when, amount) in enumerate(
        [((2026, 9, 10), "60.00"), ((2026, 10, 10), "80.00"), ((2026, 11, 10), "10.00")]
    ):
        clock.set(datetime(*when, tzinfo=UTC))
        held = led.reserve(f"r{number}", usd(amount), consumer_group="alpha")
        led.settle(held.reservation_id, usd(amount))
    led.close()
    return db


def run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, env={"RECONCILER_NOW": NOW}, prog_name="reconciler")
    return result.exit_code, result.stdout, result.stderr


def test_suggest_json_and_write_changes_only_the_envelope_lines(tmp_path: Path) -> None:
    root, db = budgets(tmp_path), ledger(tmp_path)
    team_file = root / "teams" / "team_a.yaml"
    original = "# Team A: keep this comment\n" + team_file.read_text(encoding="utf-8")
    team_file.write_text(original, encoding="utf-8")
    base = ["suggest", str(root), "--ledger", f"sqlite:///{db}", "--periods", "3"]
    code, out, err = run([*base, "--format", "json"])
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "suggestions": [
            {
                "team_id": "team_a",
                "current": "100.00",
                "suggested": "96.00",
                "basis": "P90 of 3 period(s) 80.00 + 20% buffer = 96.00",
            },
            {
                "team_id": "team_b",
                "current": "50.00",
                "suggested": "50.00",
                "basis": "no spend in the periods looked at: envelope kept",
            },
        ]
    }
    code, _out, err = run([*base, "--write"])
    assert (code, err) == (0, f"wrote {team_file}\n")
    assert team_file.read_text(encoding="utf-8") == original.replace(
        "envelope: '100.00'", "envelope: '96.00'"
    ).replace("envelope: 100.00", "envelope: 96.00")
    assert "# Team A: keep this comment\n" in team_file.read_text(encoding="utf-8")


def test_a_bad_buffer_is_a_usage_error(tmp_path: Path) -> None:
    root, db = budgets(tmp_path), ledger(tmp_path)
    code, _out, err = run(["suggest", str(root), "--ledger", f"sqlite:///{db}", "--buffer", "1e3"])
    assert code == 64
    assert "1e3 is in exponent notation; write a plain number, e.g. 20" in err
