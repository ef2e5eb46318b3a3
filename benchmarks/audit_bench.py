"""How long ``audit`` takes next to one ``git log`` over the same history.

    python -m benchmarks.audit_bench            # 20,000 movements over 2,000 commits
    python -m benchmarks.audit_bench --quick    # 200 movements over 20 commits: harness check

Builds a repository (one commit per envelope change across 100 teams, written with
``git fast-import``) and a sandbox ledger whose movements carry reconciler notes naming those
commits (every tenth one a console top-up), then times the whole audit as the command runs it
(budgets validated, one ``git log`` for the commit facts, one for the envelope history and the
budgets at each applied commit, the ledger read, the classification, the mismatch check and the
JSON report) against a bare ``git log`` of the branch, and prints the ratio of the medians.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reconciler import notes
from reconciler.clock import clock_from_env
from reconciler.render.audit import render_json
from reconciler.sandbox.ledger import SqliteLedger
from reconciler.workflow import run_audit

START = datetime(2026, 1, 1, tzinfo=UTC)
TEAMS = 100


def build_repo(root: Path, commits: int) -> list[str]:
    subprocess.run(["git", "init", "-q", "--initial-branch=main", str(root)], check=True)
    stream: list[str] = []
    org = "apiVersion: reconciler/v1\nkind: Organization\nid: org_acme\nperiod: none\nheadroom: 0\n"
    for i in range(commits):
        team = i % TEAMS
        doc = f"apiVersion: reconciler/v1\nkind: Team\nid: team_{team:03d}\nenvelope: {100 + i}\n"
        when = int((START + timedelta(minutes=i)).timestamp())
        message = f"Raise team_{team:03d} (#{i + 1})"
        stream += [
            "commit refs/heads/main",
            f"mark :{i + 1}",
            f"committer Bench <bench@example.com> {when} +0000",
            f"data {len(message)}",
            message,
        ]
        if i == 0:
            stream += [f"M 100644 inline budgets/org.yaml\ndata {len(org)}\n{org}"]
        stream += [f"M 100644 inline budgets/team_{team:03d}.yaml\ndata {len(doc)}\n{doc}"]
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=root,
        check=True,
        input=("\n".join(stream) + "\n").encode(),
    )
    subprocess.run(["git", "checkout", "-q", "main"], cwd=root, check=True)
    out = subprocess.run(
        ["git", "log", "--reverse", "--format=%H", "main"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.split()


def build_ledger(path: Path, shas: list[str], movements: int) -> None:
    moment = [START + timedelta(minutes=len(shas))]

    def clock() -> datetime:
        moment[0] += timedelta(milliseconds=1)
        return moment[0]

    with SqliteLedger.create(path, "org_acme", clock=clock) as ledger:
        ledger.credit(movements * 1_000_000, note="seed")
        for i in range(movements):
            team = f"team_{i % TEAMS:03d}"
            sha = shas[min(i * len(shas) // movements, len(shas) - 1)]
            note = (
                "console top-up"
                if i % 10 == 9
                else notes.format_note(notes.Note(sha, "abc123", f"{i:016x}", team, "all"))
            )
            ledger.allocate(team, 1_000_000, note=note)


def build_cached(root: Path, commits: int, movements: int) -> None:
    """The repository (``root/repo``) and ledger (``root/ledger.db``), unless already built with
    the same sizes: for the whole-process audit figure of ``benchmarks.whole``."""
    marker = root / "built.txt"
    spec = f"{commits} {movements}\n"
    if marker.exists() and marker.read_text(encoding="utf-8") == spec:
        return
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    build_ledger(root / "ledger.db", build_repo(root / "repo", commits), movements)
    marker.write_text(spec, encoding="utf-8")


def audit_once(root: Path, db: Path) -> str:
    """What ``reconciler audit --format json`` does, in process."""
    run = run_audit(root / "budgets", f"sqlite:///{db}", False, "main", clock=clock_from_env())
    return render_json(run.movements, run.findings)


def timed(work: object, runs: int) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        work()  # type: ignore[operator]
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="200 movements over 20 commits")
    args = parser.parse_args()
    commits, movements, runs = (20, 200, 1) if args.quick else (2_000, 20_000, 3)
    with tempfile.TemporaryDirectory(prefix="audit-bench-") as tmp:
        root = Path(tmp) / "repo"
        shas = build_repo(root, commits)
        build_ledger(Path(tmp) / "ledger.db", shas, movements)
        log = timed(
            lambda: subprocess.run(
                ["git", "log", "main"], cwd=root, check=True, capture_output=True
            ),
            runs,
        )
        whole = timed(lambda: audit_once(root, Path(tmp) / "ledger.db"), runs)
    print(
        f"audit of {movements} movements over {commits} commits: {whole:.3f}s; "
        f"one git log: {log:.3f}s; ratio {whole / log:.1f}"
    )


if __name__ == "__main__":
    main()
