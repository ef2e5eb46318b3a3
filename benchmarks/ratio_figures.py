"""Figures reported as a ratio to a baseline of the same run, without a target in the issue:
audit next to ``git log`` over the same history, usage next to validate of the same budgets,
and simulated traffic of N requests next to N/10 (its growth; linear would be 10).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.harness import DATA, RECONCILER, Side, child_lines, environment, pair

if TYPE_CHECKING:
    from benchmarks.whole import Org, Sizes

AUDIT_NOW = "2026-02-01T00:00:00Z"  # after every commit and movement of the history


def figures(sizes: Sizes, big: Org, small: Org) -> list[dict[str, object]]:
    return [audit(sizes), usage(sizes, big), traffic(sizes, small)]


def audit(sizes: Sizes) -> dict[str, object]:
    """``audit`` over a history of many commits (``benchmarks.audit_bench``'s repository and
    ledger: one commit per envelope change, movements noted with those commits)."""
    commits, movements = (20, 200) if sizes.quick else (2_000, 20_000)
    script = (
        "import sys; from pathlib import Path; from benchmarks import audit_bench\n"
        "audit_bench.build_cached(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))\n"
    )
    root = DATA / f"audit-{commits}"
    list(child_lines(script, root, commits, movements))
    repo, ledger = root / "repo", f"sqlite:///{root / 'ledger.db'}"
    env = environment(AUDIT_NOW)
    return pair(
        f"audit of {movements:,} movements over {commits:,} commits / git log",
        Side([*RECONCILER, "audit", "budgets", "--ledger", ledger, "--format", "json"], repo, env),
        Side(["git", "log", "main"], repo, env),
        runs=sizes.runs,
        warmup=sizes.warmup,
    )


def usage(sizes: Sizes, big: Org) -> dict[str, object]:
    return pair(
        f"usage {big.teams:,} teams over {big.entries:,} entries / validate the same budgets",
        big.side("usage", "budgets", "--ledger", big.ledger_url),
        big.side("validate", "budgets"),
        runs=sizes.runs,
        warmup=sizes.warmup,
    )


class Copied:
    """A fresh copy of a ledger file at ``path`` around each run (traffic writes to it)."""

    def __init__(self, source: Path, name: str) -> None:
        self.source = source
        self.path = DATA / "scratch" / name

    @contextmanager
    def __call__(self) -> Iterator[object]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.source, self.path)
        yield self


def traffic(sizes: Sizes, org: Org) -> dict[str, object]:
    many = 1_000 if sizes.quick else 10_000
    sides = []
    for requests in (many, many // 10):
        copy = Copied(org.db, f"traffic-{requests}.db")
        command = [*RECONCILER, "sandbox", "traffic", "--db", str(copy.path), "budgets"]
        command += ["--requests", str(requests)]
        sides.append(Side(command, org.repo, environment(org.now), copy))
    return pair(
        f"sandbox traffic of {many:,} requests / {many // 10:,} ({org.teams:,} teams)",
        sides[0],
        sides[1],
        runs=sizes.runs,
        warmup=sizes.warmup,
    )
