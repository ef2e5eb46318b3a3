"""The figures over the sandbox server: plan memory over HTTP, requests and bytes of an apply,
and an apply at 20 ms injected latency next to the same number of sequential round trips.

Every run gets a fresh copy of the ledger behind a fresh server (``benchmarks.served``), so an
apply always finds the same state; requests and bytes are counted by the server.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.harness import (
    DATA,
    HERE,
    PYTHON,
    RECONCILER,
    Side,
    child_lines,
    environment,
    measure,
    pair,
    shown,
)
from benchmarks.served import TOKEN, Counts, Served

if TYPE_CHECKING:
    from benchmarks.whole import Org, Sizes

MB = 1_000_000
LATENCY = "*:latency=20"


def figures(sizes: Sizes, big: Org, small: Org) -> list[dict[str, object]]:
    return [
        plan_memory(sizes, big),
        apply_requests(f"apply of {small.teams:,} new teams", small, new_teams(small), small.now),
        apply_requests(f"apply of {small.teams:,} refills", small, small.repo, small.next_month),
        apply_latency(sizes, small),
    ]


def plan_memory(sizes: Sizes, big: Org) -> dict[str, object]:
    served = Served(big.db, now=big.now)
    figure = pair(
        f"plan {big.teams:,} teams over HTTP / embedded (peak memory)",
        replace(
            big.side("plan", "budgets", "--ledger", served.url, KEEPTRUSTS_API_TOKEN=TOKEN),
            setup=served,
        ),
        big.side("plan", "budgets", "--ledger", big.ledger_url),
        runs=sizes.heavy_runs,
        warmup=False,
    )
    peak = max(float(str(figure["a_max_rss_mib"])), float(str(figure["b_max_rss_mib"])))
    return {**figure, "target": "≤ 250 MB both", "met": peak * 1024 * 1024 <= 250 * MB}


def new_teams(org: Org) -> Path:
    """A clone of ``org``'s repository with as many new teams again (cached)."""
    script = (
        "import sys; from pathlib import Path; from benchmarks import orgs\n"
        "org = orgs.make_org(Path(sys.argv[1]), teams=int(sys.argv[2]), months=int(sys.argv[3]),"
        " spends=int(sys.argv[4]))\n"
        "print(orgs.with_new_teams(org, Path(sys.argv[5]), extra=org.teams))\n"
    )
    target = DATA / f"newteams-{org.teams}x{org.months}"
    lines = child_lines(script, org.repo.parent, org.teams, org.months, org.spends, target)
    return Path(list(lines)[-1])


def apply_requests(name: str, org: Org, repo: Path, now: str) -> dict[str, object]:
    """Requests and bytes the server sees for one plan, then for one apply, of the same state."""
    served = Served(org.db, now=now)
    env = environment(now, KEEPTRUSTS_API_TOKEN=TOKEN)
    plan = Side([*RECONCILER, "plan", "budgets", "--ledger", served.url], repo, env, served)
    measure(plan)
    planned = served.requests()
    result = DATA / "scratch" / "apply-result.json"
    command = [*RECONCILER, "apply", "budgets", "--ledger", served.url, "--auto-approve"]
    apply = Side(
        [*command, "--result", str(result)],
        repo,
        env,
        served,
    )
    run = measure(apply)
    applied = served.requests()
    movements = _movements(result)
    closed = _plan_after(served, org, repo, now)
    # the movements' own reads: what is left of the apply's reads after the plan it shows and
    # its closing plan (a plan of the ledger the apply left, without the run-out forecast's
    # windowed reads, which the closing plan leaves out), allowing one organization read
    closing_reads = closed.reads - closed.windowed
    own_reads = applied.reads - planned.reads - closing_reads
    met = applied.writes <= movements and own_reads <= movements + 1
    print(
        f"{name:<66} {applied.requests:>6} requests ({applied.reads} reads, {applied.writes} "
        f"writes, {applied.bytes_out / MB:.1f} MB out) for {movements} movements; "
        f"plan: {planned.requests} requests, closing plan: {closing_reads} reads; "
        f"the movements' own reads: {own_reads}",
        flush=True,
    )
    return {
        "figure": f"HTTP requests: {name}",
        "a": shown(" ".join(apply.command)),
        "a_cwd": shown(str(repo)),
        "movements": movements,
        "requests": applied.requests,
        "reads": applied.reads,
        "writes": applied.writes,
        "bytes_out": applied.bytes_out,
        "bytes_in": applied.bytes_in,
        "by_route": applied.by_route,
        "plan_requests": planned.requests,
        "plan_bytes_out": planned.bytes_out,
        "closing_plan_reads": closing_reads,
        "movement_reads": own_reads,
        "a_seconds": round(run.seconds, 3),
        "a_max_rss_mib": round(run.max_rss_kib / 1024, 1),
        "target": "≤ 1 write + ≤ 1 read per movement, plus the two plans' reads "
        "(and one organization read)",
        "met": met,
    }


def _plan_after(served: Served, org: Org, repo: Path, now: str) -> Counts:
    """The requests of a plan of the ledger an apply on ``served`` left: its closing plan."""
    after = DATA / "scratch" / "applied.db"
    with closing(sqlite3.connect(served.db)) as db:  # fold a write-ahead log left behind in
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(served.db, after)
    again = Served(after, now=now)
    env = environment(now, KEEPTRUSTS_API_TOKEN=TOKEN)
    measure(Side([*RECONCILER, "plan", "budgets", "--ledger", again.url], repo, env, again))
    return again.requests()


def _movements(result: Path) -> int:
    document = json.loads(result.read_text(encoding="utf-8"))
    return sum(1 for step in document["steps"] if step["status"] == "applied")


def apply_latency(sizes: Sizes, org: Org) -> dict[str, object]:
    served = Served(org.db, now=org.next_month, faults=LATENCY)
    floor = Served(org.db, now=org.next_month, faults=LATENCY)
    env = environment(org.next_month, KEEPTRUSTS_API_TOKEN=TOKEN)
    figure = pair(
        f"apply of {org.teams:,} refills at 20 ms latency / {org.teams:,} sequential round trips",
        Side(
            [*RECONCILER, "apply", "budgets", "--ledger", served.url, "--auto-approve"],
            org.repo,
            env,
            served,
        ),
        Side(
            [PYTHON, "-m", "benchmarks.roundtrips", floor.url, str(org.teams)],
            HERE.parent,
            env,
            floor,
        ),
        runs=sizes.heavy_runs,
        warmup=False,
    )
    ratio = float(str(figure["ratio_median"]))
    return {**figure, "target": "≤ 0.167 (≥ 6× faster)", "met": ratio <= 1 / 6}
