"""The plan's forecast reads only the settlements' ``Settled`` fields (one indexed query on the
sandbox): it says of every team exactly what ``usage`` says, and a ledger that cannot read
``Settled`` values gets the same from its transactions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reconciler import config, usage
from reconciler.ledger.base import Settled, Transaction, Wallet
from reconciler.periods import period_at
from reconciler.sandbox import traffic
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.sqlite_ledger import ManualClock, seeded_ledger, usd
from tests.usage.test_usage import budgets

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


class TransactionsOnly:
    """A ledger that lists wallets and reads each one's transactions, and nothing more."""

    def __init__(self, ledger: SqliteLedger) -> None:
        self.ledger = ledger

    def list_wallets(self) -> list[Wallet]:
        return self.ledger.list_wallets()

    def transactions(
        self, wallet_id: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[Transaction]:
        return self.ledger.transactions(wallet_id, since=since, until=until)


def _ledger(tmp_path: Path, root: Path) -> Path:
    """Two months of simulated gateway traffic, plus spend named by team, by nothing at all,
    and by a team the budgets do not manage."""
    db = tmp_path / "l.db"
    clock = ManualClock(datetime(2026, 9, 1, tzinfo=UTC))
    ledger = seeded_ledger(
        db, credit="90000.00", teams={"team_a": "40.00", "team_b": "900.00"}, clock=clock
    )
    ledger.configure_gateway({"alpha": "team_a", "beta": "team_b"}, True)
    for request, (day, kwargs) in enumerate(
        [
            (3, {"team_id": "team_b"}),
            (11, {}),
            (40, {"team_id": "team_ghost"}),
            (70, {"team_id": "team_a"}),
        ]
    ):
        clock.set(datetime(2026, 9, 20, 15, tzinfo=UTC) + timedelta(days=day))
        held = ledger.reserve(f"manual{request}", usd("4.00"), **kwargs)  # type: ignore[arg-type]
        ledger.settle(held.reservation_id, usd("3.25"))
    ledger.close()
    start = datetime(2026, 9, 15, tzinfo=UTC)
    requests = traffic.simulate(["alpha", "beta"], requests=500, seed=3, start=start, end=NOW)
    traffic.run(str(db), requests, now=NOW)
    return db


def test_forecasts_say_what_usage_says_whichever_way_the_ledger_is_read(tmp_path: Path) -> None:
    root = budgets(tmp_path)
    (root / "team_c.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Team\nid: team_c\nenvelope: 80.00\n", encoding="utf-8"
    )
    desired, _ = config.load(root)
    period = period_at(desired.organization.period, NOW)
    with SqliteLedger(_ledger(tmp_path, root), clock=lambda: NOW) as ledger:
        report = usage.compute(desired, ledger, period, NOW)
        fast = usage.forecasts(desired, ledger, period, NOW)
        slow = usage.forecasts(desired, TransactionsOnly(ledger), period, NOW)  # type: ignore[arg-type]
        running_out = usage.forecasts(desired, ledger, period, NOW, running_out=True)
        since = period.start - timedelta(days=usage.HISTORY_DAYS)
        settled = ledger.settled(since=since, until=NOW)
        entries = ledger.settlements(since=since, until=NOW)
    assert fast == slow == {t.team_id: (t.spent, t.forecast) for t in report.teams}
    assert [fast[t][1].basis for t in ("team_a", "team_b", "team_c")] == [
        "smoothed",
        "smoothed",
        "linear",
    ]
    assert fast["team_a"][0] > 0
    assert fast["team_b"][0] > 0
    # every team that runs out is kept, as it was; team_c (no spend) provably does not
    assert {t for t, (_spent, f) in fast.items() if f.exhaustion is not None} <= set(running_out)
    assert running_out == {t: fast[t] for t in running_out}
    assert set(running_out) < set(fast)
    assert "team_c" not in running_out
    assert Counter(settled) == Counter(Settled.of(e) for e in entries)
    assert len(settled) > 400
