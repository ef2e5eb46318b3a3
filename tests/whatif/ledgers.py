"""A budgets repository and a sandbox ledger with real applies and recorded gateway spend.

``Organization`` commits budgets at chosen instants, runs the real ``reconciler apply`` at each
period start (so the envelopes in force are exactly what the planner moved), and sends requests
through the sandbox's cascade at chosen instants (reserve, then settle a minute later).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.clock import iso_utc
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.budgets import dump_documents, gateway_doc, organization_doc, team_doc
from tests.support.git_repo import GitRepo
from tests.support.sqlite_ledger import ManualClock, usd


class Organization:
    def __init__(self, root: Path, created: datetime, *, credit: str = "10000.00") -> None:
        self.repo = GitRepo.init(root / "repo")
        self.budgets = self.repo.root / "budgets"
        self.db = root / "ledger.db"
        self.clock = ManualClock(created)
        self.ledger = SqliteLedger.create(self.db, "org_acme", clock=self.clock)
        self.ledger.credit(usd(credit), note="seed")
        self.requests = 0

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db}"

    def write(self, teams: Iterable[dict[str, Any]], *, headroom: str = "0.00", **org: Any) -> None:
        teams = list(teams)
        org_doc = organization_doc("org_acme", headroom=headroom, **org)
        self.repo.write("budgets/organization.yaml", dump_documents(org_doc))
        for path in self.budgets.glob("teams/*.yaml"):
            path.unlink()
        for team in teams:
            self.repo.write(f"budgets/teams/{team['id']}.yaml", dump_documents(team))
        groups = {str(t["id"]): str(t["id"]) for t in teams}
        self.repo.write("budgets/gateway.yaml", dump_documents(gateway_doc(groups)))
        self.ledger.configure_gateway(groups, True)  # what the running gateway was told

    def commit(self, when: datetime, message: str = "budgets") -> str:
        return self.repo.commit(message, when=when)

    def apply(self, when: datetime) -> None:
        result = run(["apply", str(self.budgets), "--ledger", self.url, "--auto-approve"], when)
        assert result[0] == 0, result

    def spend(
        self, team_id: str | None, when: datetime, estimate: str, actual: str | None = None
    ) -> None:
        self.requests += 1
        self.clock.set(when)
        held = self.ledger.reserve(
            f"req_{self.requests}", usd(estimate), consumer_group=team_id, timeout_seconds=600
        )
        self.clock.set(when + timedelta(minutes=1))
        self.ledger.settle(held.reservation_id, usd(actual if actual is not None else estimate))

    def request(
        self, team_id: str | None, when: datetime, estimate: int, actual: int, *, answered: bool
    ) -> None:
        """A request in micro-USD cents: reserved at ``when``, settled a minute later unless it
        never answers (its hold then expires at the first write after 10 minutes)."""
        self.requests += 1
        self.clock.set(when)
        held = self.ledger.reserve(
            f"req_{self.requests}", estimate * 10_000, consumer_group=team_id, timeout_seconds=600
        )
        if answered:
            self.clock.set(when + timedelta(minutes=1))
            self.ledger.settle(held.reservation_id, actual * 10_000)

    def close(self) -> None:
        self.ledger.close()


def run(args: list[str], now: datetime) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli, args, env={"RECONCILER_NOW": iso_utc(now)}, prog_name="reconciler"
    )
    return result.exit_code, result.stdout, result.stderr


def teams(**envelopes: str) -> list[dict[str, Any]]:
    return [team_doc(team_id, envelope) for team_id, envelope in envelopes.items()]
