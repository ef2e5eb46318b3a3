"""``reconciler import``: adopt existing team wallets; import, commit, and the first plan is empty.

The round trip runs against both ledger backends: the embedded SQLite ledger and the sandbox
HTTP server on loopback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.config import load
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.git_repo import GitRepo
from tests.support.sandbox_server import BILLING_TOKEN, running_server
from tests.support.sqlite_ledger import ManualClock, usd

ORG = (
    "apiVersion: reconciler/v1\nkind: Organization\nid: org_acme\nperiod: monthly\nheadroom: 0.00\n"
)
OCTOBER = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
NOVEMBER = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
IMPORTED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
COMMITTED = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
PLANNED = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def make_ledger(path: Path) -> None:
    """org_acme run by hand since October: console allocations and reclaims, sub-cent spend."""
    clock = ManualClock(OCTOBER)
    with SqliteLedger.create(path, "org_acme", clock=clock) as ledger:
        ledger.credit(usd("100000.00"), note="top-up")
        ledger.allocate("team_engineering", usd("5000.00"), note="Q4 engineering")
        ledger.allocate("team_support", usd("3000.00"), note="support")
        held = ledger.reserve("req-1", usd("200.00"), team_id="team_engineering")
        ledger.settle(held.reservation_id, usd("123.456789"))
        clock.set(NOVEMBER)
        ledger.allocate("team_engineering", usd("2000.00"), note="November top-up")
        ledger.reclaim("team_support", usd("500.00"), note="unused")
        ledger.allocate("team_research", usd("1000.00"), note="pilot")
        held = ledger.reserve("req-2", usd("50.00"), team_id="team_research")
        ledger.settle(held.reservation_id, usd("10.000001"))


def invoke(*args: str, now: datetime, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        cli, list(args), env={"RECONCILER_NOW": now.isoformat(), **(env or {})}
    )


@contextmanager
def ledger_url(backend: str, db: Path) -> Iterator[tuple[str, dict[str, str]]]:
    if backend == "sqlite":
        yield f"sqlite:///{db}", {}
    else:
        with running_server(db, clock=ManualClock(PLANNED)) as url:
            yield url, {"KEEPTRUSTS_API_TOKEN": BILLING_TOKEN}


@pytest.mark.parametrize("backend", ["sqlite", "http"])
def test_import_then_commit_then_the_first_plan_is_empty(tmp_path: Path, backend: str) -> None:
    make_ledger(tmp_path / "ledger.db")
    repo = GitRepo.init(tmp_path / "repo")
    budgets = repo.root / "budgets"
    with ledger_url(backend, tmp_path / "ledger.db") as (url, env):
        imported = invoke("import", str(budgets), "--ledger", url, now=IMPORTED, env=env)
        assert imported.exit_code == 0, imported.output
        repo.commit("Adopt the existing team wallets", when=COMMITTED)
        plan = invoke(
            "plan", str(budgets), "--ledger", url, "--detailed-exitcode", now=PLANNED, env=env
        )
    assert plan.exit_code == 0, plan.output
    assert "No changes. The ledger matches the budgets." in plan.stdout
    assert "Drift" not in plan.stdout
    state, _ = load(budgets)
    envelopes = {t.id: (t.envelope, t.rollover) for t in state.teams}
    assert envelopes == {
        # carry 4,876.543211 is not whole cents: rollover keeps it, the envelope is November's
        "team_engineering": (usd("2000.00"), True),
        "team_research": (usd("1000.00"), False),  # allocated this period, no carry
        "team_support": (usd("2500.00"), False),  # carry 3,000.00, then 500.00 reclaimed
    }
    assert state.organization.id == "org_acme"
    assert imported.stdout.splitlines() == [
        f"wrote {budgets}/organization.yaml  (organization org_acme)",
        f"wrote {budgets}/teams/engineering.yaml  (team_engineering, envelope 2,000.00)",
        f"wrote {budgets}/teams/research.yaml  (team_research, envelope 1,000.00)",
        f"wrote {budgets}/teams/support.yaml  (team_support, envelope 2,500.00)",
        f"wrote {budgets}/gateway.yaml  (gateway config (no consumer groups yet))",
    ]


def test_a_team_file_says_where_its_envelope_comes_from(tmp_path: Path) -> None:
    make_ledger(tmp_path / "ledger.db")
    budgets = tmp_path / "budgets"
    result = invoke(
        "import", str(budgets), "--ledger", f"sqlite:///{tmp_path}/ledger.db", now=IMPORTED
    )
    assert result.exit_code == 0, result.output
    assert (budgets / "teams" / "engineering.yaml").read_text() == (
        "# yaml-language-server: $schema=../../schemas/team.schema.json\n"
        "#\n"
        "# Imported by `reconciler import` (period 2026-11): 2,000.00 allocated\n"
        "# this period, carry 4,876.543211 (balance at the period start), available\n"
        "# 6,876.543211. The envelope is what the ledger holds for this period, so the\n"
        "# first plan after committing this file moves nothing. Change it in a pull request.\n"
        "apiVersion: reconciler/v1\n"
        "kind: Team\n"
        "id: team_engineering\n"
        "envelope: 2000.00\n"
        "rollover: true    # carry stays: keeps the first plan empty\n"
        '# owners: ["@org/team-leads"]   # reviewers (see `reconciler codeowners`)\n'
    )


def test_an_existing_organization_is_kept_and_declared_teams_are_skipped(
    tmp_path: Path,
) -> None:
    make_ledger(tmp_path / "ledger.db")
    budgets = tmp_path / "budgets"
    (budgets / "teams").mkdir(parents=True)
    (budgets / "organization.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Organization\nid: org_acme\nperiod: monthly\n"
        "headroom: 100.00\ndefaults:\n  rollover: true\n",
        encoding="utf-8",
    )
    (budgets / "teams" / "eng.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Team\nid: team_engineering\nenvelope: 1.00\n",
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path}/ledger.db"
    result = invoke("import", str(budgets), "--ledger", url, now=IMPORTED)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in budgets.rglob("*.yaml")) == [
        "eng.yaml", "gateway.yaml", "organization.yaml", "research.yaml", "support.yaml"
    ]  # fmt: skip
    state, _ = load(budgets)
    # rollover: true by default, but -500.00 (reclaimed this period) is no envelope: the team
    # is written with rollover: false and its carry counted
    support = state.team("team_support")
    assert support is not None
    assert (support.envelope, support.rollover) == (usd("-500.00") + usd("3000.00"), False)


def test_import_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    make_ledger(tmp_path / "ledger.db")
    budgets = tmp_path / "budgets"
    (budgets / "teams").mkdir(parents=True)
    (budgets / "organization.yaml").write_text(ORG, encoding="utf-8")
    mine = "apiVersion: reconciler/v1\nkind: Team\nid: team_helpdesk\nenvelope: 1.00\n"
    (budgets / "teams" / "support.yaml").write_text(mine, encoding="utf-8")
    url = f"sqlite:///{tmp_path}/ledger.db"
    result = invoke("import", str(budgets), "--ledger", url, now=IMPORTED)
    assert result.exit_code == 1
    assert result.stderr.endswith(
        f"error: {budgets}/teams/support.yaml exists: import never overwrites a file; move it "
        "away or import into another directory\n"
    )
    assert sorted(p.name for p in budgets.rglob("*")) == [
        "organization.yaml",
        "support.yaml",
        "teams",
    ]
    assert (budgets / "teams" / "support.yaml").read_text() == mine


def test_the_ledger_of_another_organization_is_refused(tmp_path: Path) -> None:
    make_ledger(tmp_path / "ledger.db")
    budgets = tmp_path / "budgets"
    budgets.mkdir()
    (budgets / "organization.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Organization\nid: org_other\nperiod: monthly\n"
        "headroom: 0.00\n",
        encoding="utf-8",
    )
    result = invoke(
        "import", str(budgets), "--ledger", f"sqlite:///{tmp_path}/ledger.db", now=IMPORTED
    )
    assert result.exit_code == 1
    assert (
        "the ledger is organization org_acme's, but the budgets are for org_other" in result.stderr
    )
    assert sorted(p.name for p in budgets.iterdir()) == ["organization.yaml"]
