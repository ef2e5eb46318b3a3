"""Synthetic organizations for whole-process benchmarks.

``make_org(root, teams=N, months=M, spends=S, commits=K)`` builds, under ``root``:

- ``repo/``: a git repository with ``budgets/`` (an Organization, N Team files, a
  GatewayConfig) and K commits of envelope changes spread over the M months;
- ``repo/.reconciler/sandbox.db``: the embedded sandbox ledger with M months of history made by
  the real planner and executor (one apply per month, so every movement carries a real
  reconciler note) plus S settled requests per team and month, spread over the month after
  its apply and written in bulk in the sandbox's schema (``benchmarks.bulk``: what reserve and
  settle through the cascade would write). The finished ledger must pass ``sandbox check``.

N teams, 12 months, S=2: 8 entries per team and month (one allocation pair, three entries per
request), so 10,000 teams make 960,001 entries. Everything is deterministic for the
arguments; the clock is injected, never read. A build is cached under ``root`` by its
arguments.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from benchmarks import bulk
from reconciler import executor, workflow
from reconciler.history import History
from reconciler.periods import PeriodKind, period_at
from reconciler.planning import planner
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.budgets import (
    dump_documents,
    gateway_doc,
    organization_doc,
    team_doc,
    write_budgets,
)
from tests.support.git_repo import GitRepo

FIRST_MONTH = datetime(2026, 1, 1, tzinfo=UTC)
MICROS = 1_000_000
BUILD = "v2"  # bump when the generator changes what it builds: old caches are rebuilt


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
    root: Path,
    *,
    teams: int,
    months: int = 12,
    spends: int = 2,
    commits: int = 12,
    spend_last: bool = True,
) -> Org:
    """Build (or reuse, when already built with the same arguments) a synthetic organization.

    ``spend_last=False`` leaves the last (current) month without spend: what-if replays only
    completed periods, so the current one would be built for nothing.
    """
    marker = root / "built.txt"
    spec = f"{BUILD} {teams} {months} {spends} {commits} {spend_last}\n"
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
        period = period_at(PeriodKind.MONTHLY, FIRST_MONTH + timedelta(days=31 * month))
        clock.now = period.start + timedelta(hours=1)
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
        if spends and (spend_last or month < months - 1):
            until = last if month == months - 1 else period.end
            window = (clock.now + timedelta(minutes=1), until - timedelta(hours=1))
            written = bulk.settle_all(db, _requests(month, teams, spends, window, rng))
            clock.now = written.last
    entries = ledger.entry_count()
    violations = ledger.check()
    ledger.close()
    if violations:
        raise SystemExit(
            f"the generated ledger {db} breaks {len(violations)} invariants "
            "(`reconciler sandbox check`):\n" + "\n".join(violations[:20])
        )
    marker.write_text(spec + f"entries {entries}\n", encoding="utf-8")
    return Org(root, repo_dir, db, teams, entries, last)


def _requests(
    month: int, teams: int, spends: int, window: tuple[datetime, datetime], rng: random.Random
) -> Iterator[bulk.Request]:
    """``spends`` requests per team, spread evenly over ``window``, the teams taking turns."""
    total = teams * spends
    start, end = window
    step = (end - start) / total
    for k in range(total):
        index, spend = k % teams, k // teams
        cost = rng.randint(1, 400) * MICROS // 100
        yield bulk.Request(f"r{month}-{index}-{spend}", f"team_{index:05d}", start + step * k, cost)


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


def with_new_teams(org: Org, target: Path, *, extra: int) -> Path:
    """A clone of ``org``'s repository with ``extra`` more teams committed (envelopes as the
    first month's, a consumer group each), for an apply of ``extra`` new teams against
    ``org``'s ledger; cached under ``target``. Returns the clone's root."""
    clone = target / "repo"
    marker = target / "built.txt"
    spec = f"{BUILD} {org.teams} {extra}\n"
    if marker.exists() and marker.read_text(encoding="utf-8") == spec:
        return clone
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    GitRepo(target).git("clone", "--quiet", str(org.repo), str(clone))
    repo = GitRepo(clone)
    repo.git("config", "user.name", "Test Author")
    repo.git("config", "user.email", "test@example.com")
    envelopes = _envelopes(org.teams + extra, 0, random.Random(extra))
    added = {t: e for t, e in envelopes.items() if int(t.removeprefix("team_")) >= org.teams}
    for team, envelope in added.items():
        repo.write(f"budgets/teams/{team}.yaml", dump_documents(team_doc(team, envelope)))
    repo.write(
        "budgets/gateway.yaml", dump_documents(gateway_doc({f"cg_{t}": t for t in envelopes}))
    )
    repo.commit(f"{extra} new teams", when=org.now - timedelta(hours=1))
    marker.write_text(spec, encoding="utf-8")
    return clone
