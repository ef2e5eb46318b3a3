"""The pull-request comment holds the plan and the what-if within 60,000 characters."""

from __future__ import annotations

from reconciler.render.plan import MAX_MARKDOWN, render
from reconciler.whatif import compare
from tests.render.test_plan_rendering import _big_plan
from tests.whatif.histories import Spend, at, desired, team


def test_a_large_plan_and_a_large_whatif_share_the_comment_under_the_limit() -> None:
    teams = [team(f"team_{i:05d}", "10.00") for i in range(2000)]
    spend = Spend()
    for i in range(2000):
        spend.add(f"team_{i:05d}", at(1 + i % 27, 9 + i % 8), "12.00", "11.00")
    report = compare(desired(*teams), (spend.history(),), base=desired(*teams))
    text = render(_big_plan(2000), "markdown", whatif=report)
    assert len(text) <= MAX_MARKDOWN
    plan_part, _, whatif_part = text.partition("\n### What-if for org_acme, periods 2026-10")
    assert plan_part.startswith("### reconciler plan")
    assert "Truncated to stay under 60,000 characters" in plan_part
    assert "- team_00000: would have run out in 1 of the last 1 periods" in whatif_part
    assert "more teams: run `reconciler whatif`._" in whatif_part
    assert "more rows: run `reconciler whatif`._" in whatif_part
