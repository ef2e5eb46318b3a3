"""``plan --whatif N``: the plan, then what the last periods would have looked like under it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from tests.whatif.ledgers import Organization, run, teams
from tests.whatif.test_cli import NOW, three_months


def test_text_shows_the_plan_then_the_whatif_of_the_change(tmp_path: Path) -> None:
    org = three_months(tmp_path)
    org.write(teams(team_a="150.00", team_b="30.00"))
    code, out, err = run(["plan", str(org.budgets), "--ledger", org.url, "--whatif", "3"], NOW)
    assert code == 0, err
    plan, _, whatif = out.partition("\nWhat-if for org_acme, periods 2026-08, 2026-09, 2026-10")
    assert "allocate" in plan
    assert (
        "team_a: would have run out in 0 of the last 3 periods; at base: 3 of 3. "
        "Fell through: 135.00 → 0.00." in whatif
    )


def test_json_carries_the_whatif_and_the_saved_plan_does_not(tmp_path: Path) -> None:
    org = three_months(tmp_path)
    org.write(teams(team_a="150.00", team_b="30.00"))
    saved = tmp_path / "plan.json"
    args = ["plan", str(org.budgets), "--ledger", org.url, "--whatif", "2", "--format", "json"]
    code, out, _err = run([*args, "--out", str(saved)], NOW)
    assert code == 0
    document = json.loads(out)
    assert [p["id"] for p in document["whatif"]["periods"]] == ["2026-09", "2026-10"]
    assert "whatif" not in json.loads(saved.read_text(encoding="utf-8"))
    assert document["plan_id"] == json.loads(saved.read_text(encoding="utf-8"))["plan_id"]
    stdout_plan = tmp_path / "stdout-plan.json"
    stdout_plan.write_text(out, encoding="utf-8")
    assert run(["show", str(stdout_plan)], NOW)[0] == 0  # show ignores the section


def test_markdown_comment_has_the_plan_then_the_whatif_section(tmp_path: Path) -> None:
    org = three_months(tmp_path)
    org.write(teams(team_a="150.00", team_b="30.00"))
    args = ["plan", str(org.budgets), "--ledger", org.url, "--whatif", "3", "--format", "markdown"]
    code, out, _err = run(args, NOW)
    assert code == 0
    # the comment opens with the cost diff (envelopes at the last applied commit -> now), then
    # the plan, then the what-if section
    assert out.startswith("### Σ envelopes 150.00 → 180.00 (+30.00, +20.0%)\n")
    plan_at = out.index("reconciler plan `")
    whatif_at = out.index("\n### What-if for org_acme, periods 2026-08, 2026-09, 2026-10")
    assert plan_at < whatif_at
    assert "- team_a: would have run out in 0 of the last 3 periods; at base: 3 of 3." in out


def test_a_whatif_that_cannot_be_made_leaves_the_plan_and_says_why(tmp_path: Path) -> None:
    org = Organization(tmp_path, datetime(2026, 11, 2, tzinfo=UTC))  # a ledger of this month
    org.write(teams(team_a="100.00"))
    code, out, err = run(["plan", str(org.budgets), "--ledger", org.url, "--whatif", "3"], NOW)
    assert code == 0
    assert "What-if" not in out
    assert (
        "warning: what-if not shown: the ledger has no entries before 2026-11-01: no period to "
        "replay yet (run it after a period with spend has ended, or pass --current)\n"
    ) in err
