"""Simulated gateway traffic: deterministic for a seed, realistic in shape, sound for the ledger."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.ledger.base import EntryType
from reconciler.money import format_usd
from reconciler.sandbox import traffic
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.budgets import organization_doc, team_doc, write_budgets
from tests.support.sqlite_ledger import ManualClock, seeded_ledger, usd

NOW = "2026-11-20T12:00:00Z"
AT_NOW = ManualClock(datetime(2026, 11, 20, 12, tzinfo=UTC))
SEEDED = ManualClock(datetime(2026, 11, 1, tzinfo=UTC))  # funds arrive at the period start
START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 11, 20, 12, tzinfo=UTC)
GROUPS = ["eng", "support", "legal", "sales"]


def test_the_same_seed_draws_the_same_requests_and_another_seed_others() -> None:
    first = traffic.simulate(GROUPS, requests=500, seed=7, start=START, end=END)
    again = traffic.simulate(GROUPS, requests=500, seed=7, start=START, end=END)
    other = traffic.simulate(GROUPS, requests=500, seed=8, start=START, end=END)
    assert first == again
    assert first != other
    assert all(START <= r.at < END for r in first)
    assert [r.at for r in first] == sorted(r.at for r in first)


def test_traffic_is_skewed_to_the_first_groups_and_to_weekdays() -> None:
    requests = traffic.simulate(GROUPS, requests=4000, seed=1, start=START, end=END)
    by_group = Counter(r.consumer_group for r in requests)
    assert by_group["eng"] > by_group["support"] > by_group["sales"]
    assert by_group["eng"] > 0.3 * len(requests)
    weekday = sum(1 for r in requests if r.at.weekday() < 5)
    weekend = len(requests) - weekday
    # 14 weekdays and 6 weekend days in the window; per day, weekdays carry far more.
    assert weekday / 14 > 2.5 * weekend / 6
    assert {r.outcome for r in requests} == {"ok", "failed", "timeout"}
    assert all(0 <= r.actual <= r.estimate for r in requests)
    assert all(r.actual == 0 for r in requests if r.outcome == "failed")


def test_cost_is_exact_micro_usd_rounded_up() -> None:
    # 1,000 input tokens at 2.50/M and 1 output token at 10.00/M: 2,500 + 10 micros.
    assert traffic.cost("medium", 1_000, 1) == 2_510
    assert traffic.cost("small", 1, 0) == 1  # 0.15 micro-dollars round up to one


def _budgets(tmp_path: Path) -> Path:
    return write_budgets(
        tmp_path / "budgets",
        organization=organization_doc("org_acme"),
        teams=[team_doc("team_a", "500.00"), team_doc("team_b", "500.00")],
        gateway=None,
    )


def _write_gateway(budgets: Path) -> None:
    (budgets / "gateway.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: GatewayConfig\nconsumer_groups:\n"
        "  - id: alpha\n    wallet_team_id: team_a\n"
        "  - id: beta\n    wallet_team_id: team_b\n"
        "cost_tracking:\n  wallet_enforcement: true\n",
        encoding="utf-8",
    )


def _run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, env={"RECONCILER_NOW": NOW}, prog_name="reconciler")
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("concurrency", [1, 4])
def test_traffic_spends_through_the_cascade_and_the_ledger_stays_sound(
    tmp_path: Path, concurrency: int
) -> None:
    budgets = _budgets(tmp_path)
    _write_gateway(budgets)
    db = tmp_path / "l.db"
    seeded_ledger(
        db, credit="5000.00", teams={"team_a": "40.00", "team_b": "2000.00"}, clock=SEEDED
    ).close()
    code, out, err = _run(
        [
            "sandbox",
            "traffic",
            "--db",
            str(db),
            str(budgets),
            "--requests",
            "600",
            "--seed",
            "5",
            "--days",
            "19",
            "--concurrency",
            str(concurrency),
        ]
    )
    assert (code, err) == (0, "")
    assert out.startswith("simulated 600 requests from 2026-11-01 to 2026-11-20 (seed 5): ")
    with SqliteLedger(db, clock=AT_NOW) as ledger:
        assert ledger.check() == []
        entries = ledger.all_transactions()
        settlements = [e for e in entries if e.type is EntryType.SETTLEMENT]
        team_a = ledger.team_wallet("team_a")
        org = ledger.organization_wallet()
    spent = -sum(e.amount for e in settlements)
    assert out.rstrip().endswith(f"spent {format_usd(spent)}")
    # team_a's 40.00 ran out, so the org wallet paid for alpha's later requests (fall-through),
    # and the settlement still names the team the request was for.
    assert team_a is not None
    assert team_a.available < usd("1.00")
    fell_through = [
        e for e in settlements if e.scope is not None and e.scope.value == "organization"
    ]
    assert fell_through
    assert {e.team_id for e in fell_through} == {"team_a"}
    assert {e.consumer_group for e in settlements} == {"alpha", "beta"}
    assert org.total_spent > 0
    assert all(START <= e.created_at <= END for e in settlements)


def test_a_request_no_wallet_covers_is_a_counted_cost_ticket(tmp_path: Path) -> None:
    budgets = _budgets(tmp_path)
    _write_gateway(budgets)
    db = tmp_path / "l.db"
    seeded_ledger(db, credit="", clock=SEEDED).close()
    code, out, err = _run(
        ["sandbox", "traffic", "--db", str(db), str(budgets), "--requests", "50", "--days", "3"]
    )
    assert (code, err) == (0, "")
    assert "50 cost tickets (402); spent 0.00" in out
    with SqliteLedger(db, clock=AT_NOW) as ledger:
        tickets = ledger.cost_tickets()
        assert ledger.check() == []
    assert len(tickets) == 50
    assert {t.team_id for t in tickets} == {"team_a", "team_b"}


def test_traffic_without_consumer_groups_is_a_usage_error(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    seeded_ledger(db, clock=SEEDED).close()
    code, _out, err = _run(["sandbox", "traffic", "--db", str(db), "--requests", "5"])
    assert code == 64
    assert err == (
        f"error: {db} has no consumer groups to send traffic from: pass the budgets DIR "
        "(its GatewayConfig is written into the ledger)\n"
    )
