"""A plan over HTTP is the plan of the embedded ledger for the same ledger, and reads only what
it needs: each team's entries since the period start, never a whole history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from click.testing import CliRunner

from reconciler import executor, workflow
from reconciler.cli import cli
from reconciler.ledger.http import HttpLedger
from reconciler.planning import document
from reconciler.sandbox.ledger import SqliteLedger
from reconciler.sandbox.server import create_app
from tests.support.budgets import gateway_doc, organization_doc, team_doc, write_budgets
from tests.support.git_repo import GitRepo
from tests.support.sandbox_server import READ_TOKEN, serving
from tests.support.sqlite_ledger import ManualClock, usd

TEAMS = ("team_a", "team_b", "team_c", "team_d")
OCTOBER = datetime(2026, 10, 1, 9, tzinfo=UTC)
NOVEMBER = datetime(2026, 11, 2, 9, tzinfo=UTC)  # the first plan of the month
URL = "sqlite:///.reconciler/sandbox.db"


def _write(repo: GitRepo, envelopes: dict[str, str]) -> None:
    write_budgets(
        repo.root / "budgets",
        organization=organization_doc("org_acme", headroom="100.00", ledger=URL),
        teams=[team_doc(t, e) for t, e in envelopes.items()],
        gateway=gateway_doc({f"cg_{t}": t for t in envelopes}),
    )


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """October applied by reconciler, a month of gateway traffic, then a budget change."""
    repo = GitRepo.init(tmp_path_factory.mktemp("org") / "repo")
    repo.write(".gitignore", ".reconciler/\n")
    _write(repo, dict.fromkeys(TEAMS, "400.00"))
    repo.commit("october budgets", when=OCTOBER - timedelta(days=2))
    db = repo.root / ".reconciler" / "sandbox.db"
    clock = ManualClock(OCTOBER)
    with SqliteLedger.create(db, "org_acme", clock=clock) as ledger:
        ledger.credit(usd("50000.00"), note="initial credit")
        budgets = workflow.locate(repo.root / "budgets")
        plan, _warnings = workflow.make_plan(budgets, ledger, now=OCTOBER, ledger_url=URL)
        assert executor.apply(plan, ledger, clock=clock).complete
    result = CliRunner().invoke(
        cli,
        [
            *("sandbox", "traffic", "--db", str(db), str(repo.root / "budgets")),
            *("--requests", "400", "--seed", "9", "--days", "25"),
        ],
        env={"RECONCILER_NOW": "2026-10-29T00:00:00Z"},
    )
    assert result.exit_code == 0, result.output
    _write(repo, {**dict.fromkeys(TEAMS, "400.00"), "team_b": "650.00", "team_d": "90.00"})
    repo.commit("november budgets", when=OCTOBER + timedelta(days=20))
    return repo.root


@pytest.fixture
def served(org: Path) -> Iterator[tuple[SqliteLedger, str]]:
    db = org / ".reconciler" / "sandbox.db"
    with (
        SqliteLedger(db, clock=ManualClock(NOVEMBER)) as ledger,
        serving(create_app(ledger, token=None, read_token=READ_TOKEN)) as url,
    ):
        yield ledger, url


def test_plan_over_http_is_the_embedded_plan_and_reads_only_since_the_period_start(
    org: Path, served: tuple[SqliteLedger, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(org)
    sandbox, url = served
    budgets = workflow.locate(org / "budgets")
    embedded, _ = workflow.make_plan(budgets, sandbox, now=NOVEMBER, ledger_url=URL)
    asked: list[httpx.URL] = []
    client = httpx.Client(
        base_url=url,
        headers={"Authorization": f"Bearer {READ_TOKEN}"},
        event_hooks={"request": [lambda request: asked.append(request.url)]},
    )
    with HttpLedger(client, page_size=4) as ledger:
        over_http, _ = workflow.make_plan(budgets, ledger, now=NOVEMBER, ledger_url=URL)
    assert document.dumps(over_http) == document.dumps(embedded)
    assert {c.team_id for c in embedded.changes} == set(TEAMS)  # a new month moves every team
    assert embedded.envelopes  # October's commit read from git: the cost diff
    reads = [(u.path, parse_qs(u.query.decode())) for u in asked]
    team_reads = [q for path, q in reads if path.startswith("/v1/wallets/wal_team_")]
    assert team_reads
    assert all("since" in q for q in team_reads)  # the period, or the forecast's 8 weeks
    assert {q["since"][0] for q in team_reads if "until" not in q} >= {
        "2026-11-01T00:00:00.000000Z"
    }
    org_reads = [q for path, q in reads if path.startswith("/v1/wallets/wal_org_")]
    assert org_reads
    assert all("since" in q for q in org_reads)


def test_the_closing_plan_of_an_apply_reads_no_forecast_window(
    org: Path, served: tuple[SqliteLedger, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an apply only the movements matter: the closing plan leaves out the run-out
    forecast, whose eight weeks of every wallet's settlements would double its reads."""
    monkeypatch.chdir(org)
    sandbox, url = served
    budgets = workflow.locate(org / "budgets")
    plan, _ = workflow.make_plan(budgets, sandbox, now=NOVEMBER, ledger_url=URL)
    asked: list[httpx.URL] = []
    client = httpx.Client(
        base_url=url,
        headers={"Authorization": f"Bearer {READ_TOKEN}"},
        event_hooks={"request": [lambda request: asked.append(request.url)]},
    )
    with HttpLedger(client) as ledger:
        # the plan shown to a person, once the forecast has days of the period to go on
        later = NOVEMBER + timedelta(days=10)
        workflow.make_plan(budgets, ledger, now=later, ledger_url=URL)
        forecast_reads = sum(1 for u in asked if b"until=" in u.query)
        shown_lists = _wallet_lists(asked)
        asked.clear()
        result = executor.apply(plan, sandbox, clock=ManualClock(NOVEMBER))
        assert result.complete
        warnings = workflow.closing_check(plan, result, budgets, ledger, clock=ManualClock(later))
    assert warnings == ()  # the plan is empty after the apply
    assert forecast_reads >= len(TEAMS)  # it reads every wallet's window
    assert not [u for u in asked if b"until=" in u.query]
    team_reads = [u for u in asked if u.path.startswith("/v1/wallets/wal_team_")]
    assert len(team_reads) == len(TEAMS)  # one read per team: its entries since the start
    # The wallet list is read whole for the observation, once more by the team reads (which
    # cross-check it) and, in the plan shown, once for the forecast's windows: never again for
    # the organization wallet, which the first list has.
    assert (shown_lists, _wallet_lists(asked)) == (3, 2)


def _wallet_lists(asked: list[httpx.URL]) -> int:
    """How many times the wallet list was read from its first page."""
    return sum(1 for u in asked if u.path == "/v1/wallets" and b"cursor=" not in u.query)
