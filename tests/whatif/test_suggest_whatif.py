"""``suggest --whatif``: each suggested envelope with what the replay says it would have done."""

from __future__ import annotations

import json
from pathlib import Path

from tests.whatif.ledgers import run
from tests.whatif.test_cli import NOW, three_months


def test_each_suggestion_carries_the_replay_of_its_envelope(tmp_path: Path) -> None:
    org = three_months(tmp_path)
    args = ["suggest", str(org.budgets), "--ledger", org.url, "--periods", "3", "--buffer", "0"]
    code, out, err = run([*args, "--whatif", "--format", "json"], NOW)
    assert (code, err) == (0, "")
    document = json.loads(out)
    found = {s["team_id"]: s for s in document["suggestions"]}
    # team_a spent 105.00 a month: suggested 105.00, yet its 50.00 hold of the 20th (settled
    # at 45.00) still finds only 45.00 available: the replay says it runs out all the same
    assert found["team_a"]["suggested"] == "105.00"
    assert found["team_a"]["whatif"] == (
        "team_a: would have run out in 3 of 4 periods (first on 20 Aug 2026 10:00 UTC, 11 days "
        "early); with the current envelopes: 3 of 4. Fell through: 135.00. "
        "Unused at period end or now (returned): 220.00 → 240.00."
    )
    assert [p["id"] for p in document["whatif"]["periods"]] == [
        "2026-08",
        "2026-09",
        "2026-10",
        "2026-11",
    ]


def test_text_puts_the_evidence_under_the_table(tmp_path: Path) -> None:
    org = three_months(tmp_path)
    args = ["suggest", str(org.budgets), "--ledger", org.url, "--buffer", "0", "--whatif"]
    code, out, _err = run(args, NOW)
    assert code == 0
    table, _, evidence = out.partition("\n\n")
    assert table.startswith("TEAM")
    assert evidence.startswith(
        "What-if for org_acme, periods 2026-08, 2026-09, 2026-10, 2026-11 "
        "(to 2026-11-10T00:00:00Z): current → suggested envelopes\nteam_a: would have run out"
    )
