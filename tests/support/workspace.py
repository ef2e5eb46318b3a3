"""A real git repository holding budgets and a sandbox ledger, as the ``workspace`` fixture."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.budgets import organization_doc, team_doc, write_budgets
from tests.support.clocks import TickingClock
from tests.support.git_repo import GitRepo
from tests.support.planning import m

NOW = "2026-11-15T12:00:00Z"
NOW_AT = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
COMMITTED = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
LEDGER_URL = "sqlite:///.reconciler/sandbox.db"


@dataclass
class Workspace:
    repo: GitRepo
    runner: CliRunner
    clock: TickingClock = field(default_factory=lambda: TickingClock(NOW_AT))

    @property
    def budgets(self) -> Path:
        return self.repo.root / "budgets"

    @property
    def db(self) -> Path:
        return self.repo.root / ".reconciler" / "sandbox.db"

    def invoke(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(cli, list(args), input=input)

    def ledger(self) -> SqliteLedger:
        """The workspace's ledger as a console would write to it: just after ``NOW``."""
        return SqliteLedger(self.db, clock=self.clock)

    def team_notes(self, team_id: str) -> list[str | None]:
        with self.ledger() as ledger:
            wallet = ledger.team_wallet(team_id)
            return [] if wallet is None else [e.note for e in ledger.transactions(wallet.id)]

    def write_teams(self, **envelopes: str) -> None:
        write_budgets(
            self.budgets,
            organization=organization_doc(
                "org_acme",
                headroom="1000.00",
                ledger=LEDGER_URL,
                guards={"max_movement_per_apply": Decimal("5000.00")},
            ),
            teams=[team_doc(team_id, amount) for team_id, amount in envelopes.items()],
        )


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write(".gitignore", ".reconciler/\n")
    space = Workspace(repo, CliRunner())
    space.write_teams(team_eng="1200.00", team_ops="300.00")
    repo.commit("budgets for eng and ops", when=COMMITTED)
    monkeypatch.chdir(repo.root)
    monkeypatch.setenv("RECONCILER_NOW", NOW)
    with SqliteLedger.create(space.db, "org_acme", clock=lambda: COMMITTED) as ledger:
        ledger.credit(m(10_000), note="initial credit")
    return space
