"""Synthetic organizations for whole-process benchmarks.

``make_org(root, teams=N, months=M, spends=S, commits=K)`` builds, under ``root``:

- ``repo/``: a git repository with ``budgets/`` (an Organization, N Team files, a
  GatewayConfig) and K commits of envelope changes spread over the M months;
- ``repo/.reconciler/sandbox.db``: the embedded sandbox ledger with M months of history made by
  the real planner and executor (one apply per month, so every movement carries a real
  reconciler note) plus S settled requests per team and month (reserve + settle through the
  cascade).

Everything is deterministic for the arguments; the clock is injected, never read.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from reconciler import executor, workflow
from reconciler.history import History
from reconciler.periods import PeriodKind, period_at
from reconciler.planning import planner
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.budgets import gateway_doc, organization_doc, team_doc, write_budgets
from tests.support.git_repo import GitRepo

FIRST_MONTH = datetime(2026, 1, 1, tzinfo=UTC)
MICROS = 1_000_000


@dataclass(frozen=True)
class Org:
    root: Path
    repo: Path
    db: Path
    teams: int
    entries: int
    now: datetime  # an instant in the last generated month, for plan/apply runs

    @property
    def budgets(self) -> Path:
        return self.repo / "budgets"

    @property
    def ledger_url(self) -> str:
        return f"sqlite:///{self.db}"


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


def _envelopes(teams: int, month: int, rng: random.Random) -> dict[str, str]:
    return {
        f"team_{i:05d}": f"{1000 + (i * 37 + month * rng.randint(0, 50)) % 4000}.00"
        for i in range(teams)
    }


def _write(repo: GitRepo, envelopes: dict[str, str]) -> None:
    write_budgets(
        repo.root / "budgets",
        organization=organization_doc(
            "org_bench",
            headroom="1000.00",
            ledger="sqlite:///.reconciler/sandbox.db",
        ),
        teams=[team_doc(t, e) for t, e in envelopes.items()],
        gateway=gateway_doc({f"cg_{t}": t for t in envelopes}),
    )


def make_org(
    root: Path, *, teams: int, months: int = 12, spends: int = 2, commits: int = 12
) -> Org:
    """Build (or reuse, when already built with the same arguments) a synthetic organization."""
    marker = root / "built.txt"
    spec = f"{teams} {months} {spends} {commits}\n"
    repo_dir = root / "repo"
    db = repo_dir / ".reconciler" / "sandbox.db"
    last = FIRST_MONTH + timedelta(days=31 * (months - 1) + 15)
    if marker.exists() and marker.read_text(encoding="utf-8").startswith(spec):
        entries = int(marker.read_text(encoding="utf-8").split()[-1])
        return Org(root, repo_dir, db, teams, entries, last)
    shutil.rmtree(root, ignore_errors=True)  # built with other arguments, or half built
    rng = random.Random(teams * 1000 + months)
    repo = GitRepo.init(repo_dir)
    repo.write(".gitignore", ".reconciler/\n")
    clock = _Clock(FIRST_MONTH)
    commit_months = {round(i * months / max(commits, 1)) for i in range(commits)}
    ledger = SqliteLedger.create(db, "org_bench", clock=clock)
    ledger.credit(100_000_000 * MICROS, note="initial credit")
    managed = {f"team_{i:05d}": FIRST_MONTH - timedelta(days=1) for i in range(teams)}
    head = ""
    for month in range(months):
        start = period_at(PeriodKind.MONTHLY, FIRST_MONTH + timedelta(days=31 * month)).start
        clock.now = start + timedelta(hours=1)
        if month in commit_months or not head:
            _write(repo, _envelopes(teams, month, rng))
            head = repo.commit(f"envelopes for month {month + 1}", when=clock.now)
        state, _warnings = workflow.load_budgets(repo.root / "budgets")
        now = clock()
        observed = workflow.observe(ledger, state, period_at(state.organization.period, now))
        plan = planner.plan(
            state, observed, History(commit=head, dirty=False, managed_since=managed), now=now
        )
        executor.apply(plan, ledger, clock=clock)
        for index in range(teams):
            for spend in range(spends):
                team = f"team_{index:05d}"
                cost = rng.randint(1, 400) * MICROS // 100
                hold = ledger.reserve(f"r{month}-{index}-{spend}", cost * 2, team_id=team)
                ledger.settle(hold.reservation_id, cost)
    entries = ledger.entry_count()
    ledger.close()
    marker.write_text(spec + f"entries {entries}\n", encoding="utf-8")
    return Org(root, repo_dir, db, teams, entries, last)


def budgets_only(root: Path, *, teams: int) -> Path:
    """A budgets directory of ``teams`` Team files (no git, no ledger): for validate figures."""
    budgets = root / "budgets"
    if not (budgets / "organization.yaml").exists():
        rng = random.Random(teams)
        envelopes = _envelopes(teams, 0, rng)
        write_budgets(
            budgets,
            organization=organization_doc("org_bench", headroom="1000.00"),
            teams=[team_doc(t, Decimal(e)) for t, e in envelopes.items()],
            gateway=gateway_doc({f"cg_{t}": t for t in envelopes}),
        )
    return budgets
