"""What-if over the last 3 periods, as a ratio to ``usage`` of one period on the same ledger.

    python -m benchmarks.whatif_bench            # 1,000 teams x 1,000 requests x 3 months
    python -m benchmarks.whatif_bench --quick    # 20 teams x 5 requests: checks the harness

The organization is ``benchmarks.orgs.make_org`` with 4 months (one real apply per month, the
requests of the three completed months settled through the cascade in bulk); the fourth month
is the current one, without spend, so ``whatif`` replays the three before it: 3 periods of
teams x requests settlements each (the full size is the issue's 1,000,000 settlements over
1,000 teams in each of the 3 periods). Both commands run as their own process, in turn
(``benchmarks.harness.pair``); the figure is the median ratio whatif / usage. ``make bench``
puts it into ``benchmarks/results.json`` through ``benchmarks.whole``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.harness import DATA, RECONCILER, Side, child_lines, environment, pair

MONTHS = 4


def build(root: Path, *, teams: int, spends: int) -> tuple[Path, int, str]:
    """The organization (repository, entries, RECONCILER_NOW), built or found by a child."""
    script = (
        "import json, sys; from pathlib import Path; from benchmarks.orgs import make_org\n"
        "org = make_org(Path(sys.argv[1]), teams=int(sys.argv[2]), months=int(sys.argv[3]),\n"
        "  spends=int(sys.argv[4]), commits=1, spend_last=False)\n"
        "print(json.dumps({'repo': str(org.repo), 'entries': org.entries,\n"
        "  'now': org.now.isoformat().replace('+00:00', 'Z')}))\n"
    )
    facts = json.loads(list(child_lines(script, root, teams, MONTHS, spends))[-1])
    return Path(facts["repo"]), int(facts["entries"]), str(facts["now"])


def figure(
    *, quick: bool, teams: int | None = None, spends: int | None = None, runs: int | None = None
) -> dict[str, object]:
    teams = teams or (20 if quick else 1000)
    spends = spends or (5 if quick else 1000)
    repo, _entries, now = build(DATA / f"whatif-{teams}x{spends}", teams=teams, spends=spends)
    last_month = f"{now[:4]}-{int(now[5:7]) - 1:02d}"
    ledger = f"sqlite:///{repo / '.reconciler' / 'sandbox.db'}"
    env = environment(now)
    result = pair(
        f"whatif 3 periods of {teams * spends:,} settlements each, {teams:,} teams "
        "/ usage of one period",
        Side([*RECONCILER, "whatif", "budgets", "--ledger", ledger], repo, env),
        Side(
            [*RECONCILER, "usage", "budgets", "--ledger", ledger, "--period", last_month], repo, env
        ),
        runs=runs or (1 if quick else 3),
        warmup=not quick and runs is None,
    )
    return {**result, "target": None, "met": None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one pair")
    parser.add_argument("--teams", type=int, help="override the number of teams")
    parser.add_argument("--spends", type=int, help="override the requests per team and month")
    parser.add_argument("--runs", type=int, help="pairs to run, without a warm-up (default 3)")
    parser.add_argument("--out", type=Path, help="also write the figure as JSON here")
    args = parser.parse_args(argv)
    result = figure(quick=args.quick, teams=args.teams, spends=args.spends, runs=args.runs)
    if args.out is not None:
        args.out.write_text(json.dumps({"quick": args.quick, "figure": result}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
