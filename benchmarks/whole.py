"""Whole-process benchmarks: every figure of the performance issue as a ratio measured in one run.

    python -m benchmarks.whole            # full sizes (10,000 teams, 960,000 entries, ...)
    python -m benchmarks.whole --quick    # small sizes, one pair each: checks the harness works

Each figure is a command run as its own process, several times, interleaved with the command it
is compared with (``benchmarks.harness.pair``), reported as the median ratio with the peak
memory of both sides, and, where the issue sets one, a target and whether it is met. Results go
to ``benchmarks/results.json`` (commands with placeholders such as ``<org-10000x12>``);
``python -m benchmarks.table`` prints them as the README's table.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks import http_figures, ratio_figures, whatif_bench
from benchmarks.harness import DATA, HERE, PYTHON, RECONCILER, Side, child_lines, environment, pair

BARE_PARSE = (
    "import glob, sys, yaml\n"
    "for name in glob.glob(sys.argv[1] + '/**/*.yaml', recursive=True):\n"
    "    with open(name, 'rb') as handle:\n"
    "        list(yaml.load_all(handle, Loader=yaml.CSafeLoader))\n"
)


@dataclass(frozen=True)
class Sizes:
    large: int  # teams
    small: int
    months: int
    spends: int  # requests per team and month
    runs: int
    heavy_runs: int  # for figures of a minute or more per run
    warmup: bool

    @property
    def quick(self) -> bool:
        return self.runs == 1


FULL = Sizes(large=10_000, small=1_000, months=12, spends=2, runs=3, heavy_runs=1, warmup=False)
QUICK = Sizes(large=100, small=20, months=2, spends=1, runs=1, heavy_runs=1, warmup=False)


@dataclass(frozen=True)
class Org:
    repo: Path
    db: Path
    teams: int
    months: int
    spends: int
    entries: int
    now: str  # RECONCILER_NOW in the last generated month, after its apply
    next_month: str  # the first hour of the month after: the first plan of a month

    @property
    def ledger_url(self) -> str:
        return f"sqlite:///{self.db}"

    def side(self, *args: str, now: str | None = None, **env: str) -> Side:
        return Side([*RECONCILER, *args], self.repo, environment(now or self.now, **env))


def build(teams: int, months: int, spends: int) -> Org:
    """The organization, built (or found in the cache) by a child process."""
    script = (
        "import json, sys; from datetime import timedelta; from pathlib import Path\n"
        "from benchmarks.orgs import make_org\n"
        "from reconciler.periods import PeriodKind, period_at\n"
        "a = [int(x) for x in sys.argv[2:]]\n"
        "org = make_org(Path(sys.argv[1]), teams=a[0], months=a[1], spends=a[2])\n"
        "nxt = period_at(PeriodKind.MONTHLY, org.now).end + timedelta(hours=1)\n"
        "z = lambda t: t.isoformat().replace('+00:00', 'Z')\n"
        "print(json.dumps({'repo': str(org.repo), 'db': str(org.db), 'entries': org.entries,\n"
        "  'now': z(org.now), 'next_month': z(nxt)}))\n"
    )
    root = DATA / f"org-{teams}x{months}"
    facts = json.loads(list(child_lines(script, root, teams, months, spends))[-1])
    repo, db = Path(facts["repo"]), Path(facts["db"])
    return Org(repo, db, teams, months, spends, facts["entries"], facts["now"], facts["next_month"])


def with_target(figure: dict[str, object], target: str, met: bool) -> dict[str, object]:
    return {**figure, "target": target, "met": met}


def config_figures(sizes: Sizes) -> list[dict[str, object]]:
    root = DATA / f"budgets-{sizes.large}"
    script = (
        "import sys; from pathlib import Path; from benchmarks.orgs import budgets_only\n"
        "budgets_only(Path(sys.argv[1]), teams=int(sys.argv[2]))\n"
    )
    list(child_lines(script, root, sizes.large))
    budgets = str(root / "budgets")
    env = environment()
    validate = pair(
        f"validate {sizes.large:,} teams / bare libyaml parse of the same files",
        Side([*RECONCILER, "validate", budgets], HERE.parent, env),
        Side([PYTHON, "-c", BARE_PARSE, budgets], HERE.parent, env),
        runs=_light_runs(sizes),
        warmup=sizes.warmup,
    )
    version = pair(
        "reconciler --version / python -c 'import click'",
        Side([*RECONCILER, "--version"], HERE.parent, env),
        Side([PYTHON, "-c", "import click"], HERE.parent, env),
        runs=_light_runs(sizes),
        warmup=sizes.warmup,
    )
    return [
        with_target(validate, "≤ 1.5", _ratio(validate) <= 1.5),
        with_target(version, "≤ 2", _ratio(version) <= 2),
    ]


def _light_runs(sizes: Sizes) -> int:
    """Pairs for a figure of a second or two a side (validate, plan): more than ``sizes.runs``,
    for a median that one slow run on a shared machine does not move."""
    return 1 if sizes.quick else max(sizes.runs, 9)


def plan_figures(sizes: Sizes, big: Org, small: Org, month: Org) -> list[dict[str, object]]:
    runs, warmup = _light_runs(sizes), sizes.warmup
    plan = ("plan", "budgets", "--ledger")
    versus_validate = pair(
        f"plan {big.teams:,} teams over {big.entries:,} entries / validate the same budgets",
        big.side(*plan, big.ledger_url),
        big.side("validate", "budgets"),
        runs=runs,
        warmup=warmup,
    )
    growth = pair(
        f"plan growth: {big.teams:,} teams / {small.teams:,} teams",
        big.side(*plan, big.ledger_url),
        small.side(*plan, small.ledger_url),
        runs=runs,
        warmup=warmup,
    )
    history = pair(
        f"plan growth with history, first plan of a month: {big.entries:,} entries "
        f"/ {month.entries:,} ({big.teams:,} teams)",
        big.side(*plan, big.ledger_url, now=big.next_month),
        month.side(*plan, month.ledger_url, now=month.next_month),
        runs=runs,
        warmup=warmup,
    )
    return [
        with_target(versus_validate, "≤ 2", _ratio(versus_validate) <= 2),
        with_target(growth, "≤ 11", _ratio(growth) <= 11),
        with_target(history, "≤ 1.05", _ratio(history) <= 1.05),
    ]


def _ratio(figure: dict[str, object]) -> float:  # float-ok: a timing ratio
    return float(str(figure["ratio_median"]))


GROUPS = ("config", "plan", "http", "ratios", "whatif")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one pair each")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    parser.add_argument(
        "--only",
        action="append",
        choices=GROUPS,
        help="measure only this group of figures (repeatable); the others keep their results",
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    only = set(args.only or GROUPS)
    figures: list[dict[str, object]] = []
    if args.only and args.out.exists():  # keep the figures of the groups not measured now
        kept = json.loads(args.out.read_text(encoding="utf-8"))["figures"]
        figures.extend(f for f in kept if f.get("group") not in only)

    def save(group: str, more: list[dict[str, object]]) -> None:
        """Add ``more`` and write the results so far: a long run that stops keeps its figures."""
        figures.extend({"group": group, **figure} for figure in more)
        results = {"quick": sizes.quick, "cpus": os.cpu_count(), "figures": figures}
        args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")

    if "config" in only:
        save("config", config_figures(sizes))
    if only & {"plan", "http", "ratios"}:
        big = build(sizes.large, sizes.months, sizes.spends)
        small = build(sizes.small, sizes.months, sizes.spends)
    if "plan" in only:
        month = build(sizes.large, 1, sizes.spends)
        save("plan", plan_figures(sizes, big, small, month))
    if "http" in only:
        save("http", http_figures.figures(sizes, big, small))
    if "ratios" in only:
        save("ratios", ratio_figures.figures(sizes, big, small))
    if "whatif" in only:
        save("whatif", [whatif_bench.figure(quick=sizes.quick)])
    print(f"results: {args.out.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
