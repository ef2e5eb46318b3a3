"""The pull-request comment reads like a cost diff, and stays under GitHub's comment limit.

GitHub refuses a comment body with "Body is too long (maximum is 65536 characters)"; public
measurements of the API put the comment cap at 262,144 UTF-8 bytes (4 x 65,536), and a body of
65,536 four-byte emoji is accepted, so the unit is neither bytes nor UTF-16 units. Counting
Unicode code points (Python's ``len``) satisfies every reading: at most 65,536 code points is at
most 262,144 bytes. The comment keeps to ``MAX_MARKDOWN`` (60,000) code points, leaving room for
the sticky-comment marker the workflow's action appends.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.planning.types import Action, Change, DriftItem, Plan, TeamEnvelope
from reconciler.render.plan import MAX_MARKDOWN, render_markdown
from reconciler.sandbox.ledger import SqliteLedger
from tests.render.test_plan_rendering import _plan
from tests.support.budgets import organization_doc, team_doc, write_budgets
from tests.support.git_repo import GitRepo
from tests.support.sqlite_ledger import ManualClock, usd

GITHUB_LIMIT = 65_536
STICKY_MARKER = "\n<!-- Sticky Pull Request Commentreconciler-plan -->"
CREATED = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
FIRST = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
APPLIED = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
SECOND = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)
PLANNED = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)


def invoke(*args: str, now: datetime) -> Result:
    return CliRunner().invoke(cli, list(args), env={"RECONCILER_NOW": now.isoformat()})


def test_the_comment_is_a_cost_diff_against_the_last_applied_commit(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    budgets = repo.root / "budgets"
    org = organization_doc("org_ci")
    teams = [team_doc("team_a", "300.00"), team_doc("team_b", "200.00"), team_doc("team_c", "50")]
    write_budgets(budgets, organization=org, teams=teams)
    repo.commit("budgets", when=FIRST)
    db = tmp_path / "ledger.db"
    with SqliteLedger.create(db, "org_ci", clock=ManualClock(CREATED)) as ledger:
        ledger.credit(usd("1000.00"), note="top-up")
    url = f"sqlite:///{db}"
    applied = invoke("apply", str(budgets), "--ledger", url, "--auto-approve", now=APPLIED)
    assert applied.exit_code == 0, applied.output
    teams = [team_doc("team_a", "450.00"), team_doc("team_b", "150.00"), team_doc("team_c", "50")]
    write_budgets(budgets, organization=org, teams=[*teams, team_doc("team_d", "100.00")])
    repo.commit("more for team_a, less for team_b, a new team_d", when=SECOND)

    plan = invoke("plan", str(budgets), "--ledger", url, "--format", "markdown", now=PLANNED)

    assert plan.exit_code == 0, plan.output
    lines = plan.stdout.splitlines()
    assert lines[0] == "### Σ envelopes 550.00 → 750.00 (+200.00, +36.4%)"
    assert "| Allocate total | 250.00 |" in lines
    assert "| Reclaim total | 50.00 |" in lines
    rows = [line for line in lines if line.startswith("| team\\_")]
    assert rows == [  # the largest envelope changes first; team_c neither changes nor moves
        "| team\\_a | 300.00 → 450.00 | +150.00 | allocate 150.00 |",
        "| team\\_d | new → 100.00 | +100.00 | allocate 100.00 |",
        "| team\\_b | 200.00 → 150.00 | -50.00 | reclaim 50.00 |",
    ]


def _change(i: int) -> Change:
    return Change(
        op_key=f"{i:016x}",
        team_id=f"team_{i:04d}",
        action=Action.ALLOCATE,
        amount=usd("25.00"),
        envelope=usd("125.00"),
        allocated=usd("100.00"),
        reason="envelope raised 100.00 → 125.00",
    )


def _big_plan(base: Plan, teams: int, note: str = "") -> Plan:
    envelopes = tuple(
        TeamEnvelope(f"team_{i:04d}", usd("100.00"), usd("125.00")) for i in range(teams)
    )
    drift = tuple(
        DriftItem(
            team_id=f"team_{i:04d}",
            transaction_id=f"tx_{i}",
            created_at=CREATED,
            amount=usd("1.00"),
            actor="console",
            note=note,
            policy="warn",
        )
        for i in range(teams if note else 0)
    )
    return replace(
        base, changes=tuple(_change(i) for i in range(teams)), envelopes=envelopes, drift=drift
    )


def _empty_plan() -> Plan:
    return _plan("envelope_changes")


def test_a_2000_team_change_fits_with_its_totals_and_a_truncation_note() -> None:
    plan = _big_plan(_empty_plan(), 2000)
    text = render_markdown(plan)
    assert len(text) <= MAX_MARKDOWN
    assert len(text + STICKY_MARKER) <= GITHUB_LIMIT
    lines = text.splitlines()
    assert lines[0] == "### Σ envelopes 200,000.00 → 250,000.00 (+50,000.00, +25.0%)"
    assert "| Allocate total | 50,000.00 |" in lines  # every change counted, not just those shown
    assert "| Changes | 2000 |" in lines
    assert "> Truncated to stay under 60,000 characters" in text
    assert "(2000 change(s) in total)" in text
    shown = [line for line in lines if line.startswith("| team\\_")]
    assert 0 < len(shown) < 2000


def test_the_limit_counts_code_points_and_fits_the_byte_cap_too() -> None:
    """Multi-byte text (a euro sign: 3 UTF-8 bytes; an emoji: 4) is counted per code point: the
    comment uses the room GitHub gives and still fits its byte cap."""
    plan = _big_plan(_empty_plan(), 2000, note="Top-up € für das Team 🚀 " + "€🚀" * 60)
    text = render_markdown(plan)
    assert len(text) <= MAX_MARKDOWN
    assert len(text) > MAX_MARKDOWN - 1_000  # filled by code points, not cut at a byte count
    assert len(text.encode("utf-8")) > GITHUB_LIMIT  # more bytes than the limit: still accepted
    assert len(text.encode("utf-8")) <= 4 * GITHUB_LIMIT
    assert "€ für das Team 🚀" in text
