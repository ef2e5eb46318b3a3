"""Whole-process benchmarks: each figure is a command run as a separate process, several times,
interleaved with the command it is compared with, and reported as the median ratio of the pairs
measured in the same run (machines are shared and noisy: ratios hold, absolute times do not),
with the peak memory (max RSS) of each.

    python -m benchmarks.whole            # full sizes
    python -m benchmarks.whole --quick    # small sizes, one pair each: checks the harness works

Results go to benchmarks/results.json. Anyone can redo a figure with /usr/bin/time -v on the
commands this prints.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.orgs import Org, budgets_only, make_org

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
RECONCILER = [sys.executable, "-m", "reconciler"]
BARE_PARSE = (
    "import glob, sys, yaml\n"
    "for name in glob.glob(sys.argv[1] + '/**/*.yaml', recursive=True):\n"
    "    with open(name, 'rb') as handle:\n"
    "        list(yaml.load_all(handle, Loader=yaml.CSafeLoader))\n"
)


@dataclass(frozen=True)
class Run:
    seconds: float  # float-ok: a duration for the report, never money
    max_rss_kib: int


def measure(command: Sequence[str], *, cwd: Path, env: dict[str, str]) -> Run:
    """One run of ``command`` as its own process: wall time and the child's peak RSS."""
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 2):
        message = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"benchmark command failed: {' '.join(command)}\n{message}")
    return Run(elapsed, usage.ru_maxrss)


def pair(
    name: str,
    a: Sequence[str],
    b: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    runs: int,
) -> dict[str, object]:
    """A and B in turn (A B A B ...), after one warm-up each; the median of the A/B ratios."""
    measure(a, cwd=cwd, env=env)
    measure(b, cwd=cwd, env=env)
    ratios, a_runs, b_runs = [], [], []
    for _ in range(runs):
        first = measure(a, cwd=cwd, env=env)
        second = measure(b, cwd=cwd, env=env)
        a_runs.append(first)
        b_runs.append(second)
        ratios.append(first.seconds / second.seconds)
    result = {
        "figure": name,
        "a": " ".join(a),
        "b": " ".join(b),
        "ratio_median": round(statistics.median(ratios), 2),
        "ratio_min": round(min(ratios), 2),
        "ratio_max": round(max(ratios), 2),
        "a_seconds_median": round(statistics.median(r.seconds for r in a_runs), 3),
        "b_seconds_median": round(statistics.median(r.seconds for r in b_runs), 3),
        "a_max_rss_mib": round(max(r.max_rss_kib for r in a_runs) / 1024, 1),
        "b_max_rss_mib": round(max(r.max_rss_kib for r in b_runs) / 1024, 1),
    }
    print(
        f"{name:<58} {result['ratio_median']:>6}x  "
        f"(A {result['a_seconds_median']} s, {result['a_max_rss_mib']} MiB; "
        f"B {result['b_seconds_median']} s, {result['b_max_rss_mib']} MiB)",
        flush=True,
    )
    return result


def environment(org: Org | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEEPTRUSTS_", "RECONCILER_"))}
    if org is not None:
        env["RECONCILER_NOW"] = org.now.isoformat().replace("+00:00", "Z")
    return env


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one pair each")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    args = parser.parse_args(argv)
    small, large = (50, 200) if args.quick else (200, 1000)
    runs = 1 if args.quick else 5
    figures = []

    many = budgets_only(DATA / f"budgets-{large}", teams=large)
    figures.append(
        pair(
            f"validate {large} teams / bare libyaml parse of the same files",
            [*RECONCILER, "validate", str(many)],
            [sys.executable, "-c", BARE_PARSE, str(many)],
            cwd=HERE.parent,
            env=environment(),
            runs=runs,
        )
    )
    orgs = {
        n: make_org(DATA / f"org-{n}", teams=n, spends=1 if args.quick else 2)
        for n in (small, large)
    }
    for n, org in orgs.items():
        figures.append(
            pair(
                f"plan {n} teams, {org.entries:,} entries / validate the same budgets",
                [*RECONCILER, "plan", "budgets", "--ledger", org.ledger_url],
                [*RECONCILER, "validate", "budgets"],
                cwd=org.repo,
                env=environment(org),
                runs=runs,
            )
        )
    figures.append(
        pair(
            f"plan growth: {large} teams / {small} teams",
            [*RECONCILER, "plan", "budgets", "--ledger", orgs[large].ledger_url],
            [*RECONCILER, "plan", "budgets", "--ledger", orgs[small].ledger_url],
            cwd=orgs[large].repo,
            env=environment(orgs[large]),
            runs=runs,
        )
    )
    figures.append(
        pair(
            "reconciler --version / python -c 'import click'",
            [*RECONCILER, "--version"],
            [sys.executable, "-c", "import click"],
            cwd=HERE.parent,
            env=environment(),
            runs=runs,
        )
    )
    args.out.write_text(json.dumps({"quick": args.quick, "figures": figures}, indent=2) + "\n")
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
