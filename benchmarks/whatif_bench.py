"""What-if over the last 3 periods, as a ratio to ``usage`` of one period on the same ledger.

    python -m benchmarks.whatif_bench            # 1,000 teams x 333 requests x 4 months
    python -m benchmarks.whatif_bench --quick    # 20 teams x 5 requests: checks the harness

The organization is ``benchmarks.orgs.make_org`` with 4 months (one real apply per month, every
request reserved and settled through the cascade); the fourth month is the current one, so
``whatif`` replays the three before it: 3 periods of teams x requests settlements (the full size
is the issue's 1,000,000 settlements over 1,000 teams). Both commands run as their own process,
in turn (``benchmarks.whole.pair``); the figure is the median ratio whatif / usage.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from benchmarks.whole import DATA, HERE, RECONCILER, Org, environment, pair

MONTHS = 4


def build(root: Path, *, teams: int, spends: int) -> Org:
    """The organization, built (or found) by a child process (see ``benchmarks.whole.built``)."""
    script = (
        "import json, sys; from pathlib import Path; from benchmarks.orgs import make_org\n"
        "org = make_org(Path(sys.argv[1]), teams=int(sys.argv[2]), months=int(sys.argv[3]),\n"
        "  spends=int(sys.argv[4]), commits=1)\n"
        "print(json.dumps({'repo': str(org.repo), 'ledger_url': org.ledger_url,\n"
        "  'entries': org.entries, 'now': org.now.isoformat().replace('+00:00', 'Z')}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(root), str(teams), str(MONTHS), str(spends)],
        cwd=HERE.parent,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"building the {teams}-team organization failed:\n{done.stderr}")
    facts = json.loads(done.stdout.splitlines()[-1])
    return Org(Path(facts["repo"]), facts["ledger_url"], facts["entries"], facts["now"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one pair")
    parser.add_argument("--teams", type=int, help="override the number of teams")
    parser.add_argument("--spends", type=int, help="override the requests per team and month")
    parser.add_argument("--out", type=Path, help="also write the figure as JSON here")
    args = parser.parse_args(argv)
    teams = args.teams or (20 if args.quick else 1000)
    spends = args.spends or (5 if args.quick else 333)
    runs = 1 if args.quick else 5
    org = build(DATA / f"whatif-{teams}-{spends}", teams=teams, spends=spends)
    last_month = f"{org.now[:4]}-{int(org.now[5:7]) - 1:02d}"
    settlements = teams * spends * (MONTHS - 1)
    figure = pair(
        f"whatif 3 periods, {settlements:,} settlements, {teams} teams / usage of one period",
        [*RECONCILER, "whatif", "budgets", "--ledger", org.ledger_url],
        [*RECONCILER, "usage", "budgets", "--ledger", org.ledger_url, "--period", last_month],
        cwd=org.repo,
        env=environment(org),
        runs=runs,
    )
    if args.out is not None:
        args.out.write_text(json.dumps({"quick": args.quick, "figure": figure}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
