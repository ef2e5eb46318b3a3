"""``reconciler usage``: every settled micro-dollar attributed once, per team, against envelopes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.ledger.base import EntryType
from reconciler.money import to_micros
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.budgets import organization_doc, team_doc, write_budgets
from tests.support.sandbox_server import BILLING_TOKEN, running_server
from tests.support.sqlite_ledger import ManualClock, seeded_ledger, usd

NOW = "2026-11-20T12:00:00Z"
AT_NOW = ManualClock(datetime(2026, 11, 20, 12, tzinfo=UTC))
SEEDED = ManualClock(datetime(2026, 11, 1, tzinfo=UTC))  # funds arrive at the period start


def budgets(tmp_path: Path) -> Path:
    root = write_budgets(
        tmp_path / "budgets",
        organization=organization_doc("org_acme"),
        teams=[team_doc("team_a", "100.00"), team_doc("team_b", "50.00")],
        gateway=None,
    )
    (root / "gateway.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: GatewayConfig\nconsumer_groups:\n"
        "  - id: alpha\n    wallet_team_id: team_a\n"
        "  - id: beta\n    wallet_team_id: team_b\n"
        "cost_tracking:\n  wallet_enforcement: true\n",
        encoding="utf-8",
    )
    return root


def spend(
    ledger: SqliteLedger,
    clock: ManualClock,
    request: str,
    group: str | None,
    amount: str,
    **kw: str,
) -> None:
    held = ledger.reserve(request, usd(amount) + 1, consumer_group=group, **kw)
    ledger.settle(held.reservation_id, usd(amount))


def ledger_with_spend(tmp_path: Path) -> Path:
    db = tmp_path / "l.db"
    clock = ManualClock(datetime(2026, 11, 5, 10, tzinfo=UTC))
    ledger = seeded_ledger(
        db, credit="1000.00", teams={"team_a": "30.00", "team_b": "50.00"}, clock=clock
    )
    ledger.configure_gateway({"alpha": "team_a", "beta": "team_b"}, True)
    spend(ledger, clock, "r1", "alpha", "20.00")  # team_a's wallet pays
    spend(ledger, clock, "r2", "alpha", "25.00")  # 10.00 left: falls through to the org
    spend(ledger, clock, "r3", "beta", "5.123456")
    spend(ledger, clock, "r4", None, "7.00")  # no group, no team: the org's, unattributed
    clock.set(datetime(2026, 10, 20, tzinfo=UTC))
    spend(ledger, clock, "r0", "beta", "3.00")  # last period: not in November's usage
    ledger.close()
    return db


def run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, env={"RECONCILER_NOW": NOW}, prog_name="reconciler")
    return result.exit_code, result.stdout, result.stderr


def test_usage_attributes_every_settled_micro_dollar_once(tmp_path: Path) -> None:
    root, db = budgets(tmp_path), ledger_with_spend(tmp_path)
    code, out, err = run(["usage", str(root), "--ledger", f"sqlite:///{db}", "--format", "json"])
    assert (code, err) == (0, "")
    doc = json.loads(out)
    teams = {t["team_id"]: t for t in doc["teams"]}
    assert teams["team_a"]["spent"] == "45.00"
    assert teams["team_a"]["funded_by_team_wallet"] == "20.00"
    assert teams["team_a"]["fell_through"] == "25.00"
    assert teams["team_a"]["status"] == "Healthy"
    assert teams["team_b"]["spent"] == "5.123456"
    assert doc["organization"]["unattributed_spent"] == "7.00"
    with SqliteLedger(db, clock=AT_NOW) as ledger:
        november = [
            e
            for e in ledger.all_transactions(since=datetime(2026, 11, 1, tzinfo=UTC))
            if e.type is EntryType.SETTLEMENT
        ]
    total = -sum(e.amount for e in november)
    attributed = sum(to_micros(Decimal(t["spent"])) for t in doc["teams"])
    assert attributed + to_micros(Decimal(doc["organization"]["unattributed_spent"])) == total
    assert doc["organization"]["spent"] == "57.123456"
    assert doc["period"]["id"] == "2026-11"
    assert teams["team_a"]["forecast_basis"] == "linear"
    # 45.00 over 19.5 days: 2.307692 a day; the 100.00 envelope lasts the month.
    assert teams["team_a"]["burn_rate_per_day"] == "2.307692"
    assert teams["team_a"]["projected_exhaustion"] is None


def test_usage_text_shows_bars_and_a_past_period(tmp_path: Path) -> None:
    root, db = budgets(tmp_path), ledger_with_spend(tmp_path)
    code, out, _ = run(["usage", str(root), "--ledger", f"sqlite:///{db}"])
    assert code == 0
    assert "team_a  " in out
    assert "[#########...........]" in out  # 45 of 100
    code, out, _ = run(
        [
            "usage",
            str(root),
            "--ledger",
            f"sqlite:///{db}",
            "--period",
            "2026-10",
            "--format",
            "json",
        ]
    )
    teams = {t["team_id"]: t for t in json.loads(out)["teams"]}
    assert teams["team_b"]["spent"] == "3.00"
    assert teams["team_a"]["spent"] == "0.00"


def test_markdown_has_a_mermaid_chart_of_envelope_vs_spend(tmp_path: Path) -> None:
    root, db = budgets(tmp_path), ledger_with_spend(tmp_path)
    code, out, _ = run(["usage", str(root), "--ledger", f"sqlite:///{db}", "--format", "markdown"])
    assert code == 0
    assert "```mermaid\nxychart-beta\n" in out
    assert '    x-axis ["team_a", "team_b"]\n    y-axis "USD" 0 --> 100\n' in out
    assert "    bar [100.00, 50.00]\n    bar [45.00, 5.12]\n" in out


def test_bad_periods_are_usage_errors_with_the_fix(tmp_path: Path) -> None:
    root, db = budgets(tmp_path), ledger_with_spend(tmp_path)
    ledger = ["--ledger", f"sqlite:///{db}"]
    assert run(["usage", str(root), *ledger, "--period", "2026-12"]) == (
        64,
        "",
        "error: --period 2026-12 has not started yet (the current period is 2026-11): pass the "
        "current period or an earlier one\n",
    )
    assert run(["usage", str(root), *ledger, "--period", "2026-Q4"]) == (
        64,
        "",
        "error: --period: period id '2026-Q4' is not monthly (e.g. 2026-11): the budgets' "
        "periods are monthly\n",
    )


def test_a_ledger_without_settlements_reports_zero_spend(tmp_path: Path) -> None:
    root = budgets(tmp_path)
    db = tmp_path / "empty.db"
    seeded_ledger(db, clock=SEEDED).close()
    code, out, err = run(["usage", str(root), "--ledger", f"sqlite:///{db}", "--format", "json"])
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert [t["spent"] for t in doc["teams"]] == ["0.00", "0.00"]
    assert doc["organization"]["spent"] == "0.00"


def test_by_consumer_group_lists_spend_per_group(tmp_path: Path) -> None:
    root, db = budgets(tmp_path), ledger_with_spend(tmp_path)
    code, out, _ = run(
        [
            "usage",
            str(root),
            "--ledger",
            f"sqlite:///{db}",
            "--by",
            "consumer-group",
            "--format",
            "json",
        ]
    )
    assert code == 0
    groups = json.loads(out)["groups"]
    assert groups == [
        {"key": "alpha", "spent": "45.00", "settlements": 2},
        {"key": "(none)", "spent": "7.00", "settlements": 1},
        {"key": "beta", "spent": "5.123456", "settlements": 1},
    ]


def test_after_simulated_traffic_usage_adds_up_to_the_settlements_exactly(
    tmp_path: Path,
) -> None:
    root = budgets(tmp_path)
    db = tmp_path / "t.db"
    seeded_ledger(
        db, credit="3000.00", teams={"team_a": "20.00", "team_b": "900.00"}, clock=SEEDED
    ).close()
    code, _out, err = run(
        ["sandbox", "traffic", "--db", str(db), str(root), "--requests", "400", "--days", "19"]
    )
    assert (code, err) == (0, "")
    with SqliteLedger(db, clock=AT_NOW) as ledger:
        settled = -sum(
            e.amount for e in ledger.all_transactions() if e.type is EntryType.SETTLEMENT
        )
        tickets = len(ledger.cost_tickets())
    code, out, err = run(["usage", str(root), "--ledger", f"sqlite:///{db}", "--format", "json"])
    assert (code, err) == (0, "")
    doc = json.loads(out)
    teams = sum(to_micros(Decimal(t["spent"])) for t in doc["teams"])
    assert teams + to_micros(Decimal(doc["organization"]["unattributed_spent"])) == settled
    assert to_micros(Decimal(doc["organization"]["spent"])) == settled
    team_a = next(t for t in doc["teams"] if t["team_id"] == "team_a")
    assert Decimal(team_a["fell_through"]) > 0  # its 20.00 ran out; the org wallet paid on
    assert sum(t["cost_tickets"] for t in doc["teams"]) == tickets


def test_usage_over_the_http_api_matches_the_embedded_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, db = budgets(tmp_path), ledger_with_spend(tmp_path)
    embedded = run(["usage", str(root), "--ledger", f"sqlite:///{db}", "--format", "json"])
    monkeypatch.setenv("KEEPTRUSTS_API_TOKEN", BILLING_TOKEN)
    with running_server(db, clock=ManualClock(datetime(2026, 11, 20, 12, tzinfo=UTC))) as url:
        remote = run(["usage", str(root), "--ledger", url, "--format", "json"])
    assert remote[0] == 0, remote[2]
    local, over_http = json.loads(embedded[1]), json.loads(remote[1])
    for doc in (local, over_http):  # the HTTP API does not expose cost tickets
        for team in doc["teams"]:
            team.pop("cost_tickets")
        doc["organization"].pop("unattributed_cost_tickets")
    assert over_http == local
