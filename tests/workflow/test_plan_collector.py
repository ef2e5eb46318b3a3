"""A plan keeps the loaded budgets out of the cyclic collector's scans, but still collects the
cyclic garbage its ledger client makes: an HTTP client leaves cycles behind with every
response, and a plan over HTTP makes tens of thousands of requests."""

from __future__ import annotations

import gc
import weakref
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reconciler import workflow
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.budgets import gateway_doc, organization_doc, team_doc, write_budgets
from tests.support.git_repo import GitRepo
from tests.support.sqlite_ledger import ManualClock, usd

NOW = datetime(2026, 11, 10, 9, tzinfo=UTC)
TEAMS = [f"team_{i:02d}" for i in range(40)]


class Cycle:
    def __init__(self) -> None:
        self.me = self


class LitteringLedger:
    """The sandbox ledger, with every call leaving cycles behind as an HTTP client's do."""

    def __init__(self, ledger: SqliteLedger) -> None:
        self._ledger = ledger
        self.cycles: list[weakref.ref[Cycle]] = []
        self.seen: list[tuple[bool, int]] = []  # (collector enabled, objects frozen) per call
        self.alive: list[int] = []  # per call: how many of the earlier calls' cycles live on

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._ledger, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self.seen.append((gc.isenabled(), gc.get_freeze_count()))
            self.alive.append(sum(ref() is not None for ref in self.cycles))
            for _ in range(100):
                self.cycles.append(weakref.ref(Cycle()))
            return attribute(*args, **kwargs)

        return call


def test_a_plan_collects_its_clients_cycles_while_it_runs_and_unfreezes_after(
    tmp_path: Path,
) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    write_budgets(
        repo.root / "budgets",
        organization=organization_doc("org_acme", headroom="100.00"),
        teams=[team_doc(team, "40.00") for team in TEAMS],
        gateway=gateway_doc({f"cg_{team}": team for team in TEAMS}),
    )
    repo.commit("budgets", when=NOW - timedelta(days=3))
    with SqliteLedger.create(tmp_path / "ledger.db", "org_acme", clock=ManualClock(NOW)) as real:
        real.credit(usd("5000.00"), note="initial credit")
        ledger = LitteringLedger(real)
        plan, _warnings = workflow.make_plan(
            workflow.locate(repo.root / "budgets"), ledger, now=NOW
        )

    assert len(plan.changes) == len(TEAMS)
    assert ledger.seen, "the plan read the ledger"
    assert all(enabled and frozen > 0 for enabled, frozen in ledger.seen), ledger.seen[:3]
    made_before_last_call = len(ledger.cycles) - 100
    assert ledger.alive[-1] < made_before_last_call // 2, (ledger.alive, made_before_last_call)
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
