"""Commit facts for audit (DESIGN §6).

``commit_log`` reads every commit of a branch in ONE ``git log`` pass (author, committer date,
subject, parents, the pull request number from a ``Merge pull request #N`` or a squashed
``subject (#N)``) and looks up any other SHA the caller names (ledger notes) in one
``git cat-file --batch-check`` plus one ``git log --no-walk`` pass: never a process per movement.
A SHA the repository does not hold is simply absent (forged, another repository, rewritten
history); one it holds but the branch does not reach has ``on_branch`` False.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reconciler import git
from reconciler.clock import parse_utc
from reconciler.errors import GitError

MARK = "\x01"
SEP = "\x1f"
_FORMAT = f"--format={MARK}%H{SEP}%P{SEP}%an{SEP}%ae{SEP}%cI{SEP}%s"
_MERGE_PR = re.compile(r"^Merge pull request #(\d+)\b")
_SQUASH_PR = re.compile(r"\(#(\d+)\)\s*$")
_SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True, slots=True)
class CommitFacts:
    sha: str
    parents: tuple[str, ...]
    author: str
    author_email: str
    date: datetime  # committer time, UTC
    subject: str
    pr: int | None
    on_branch: bool


@dataclass(frozen=True, slots=True)
class CommitLog:
    """Commit facts keyed by full SHA; ``branch_order`` is the branch, oldest first."""

    branch: str
    commits: dict[str, CommitFacts]
    branch_order: tuple[str, ...]

    def get(self, sha: str) -> CommitFacts | None:
        return self.commits.get(sha)


def pr_number(subject: str) -> int | None:
    """The pull request a subject names: GitHub's merge commit or a squash's ``(#N)`` suffix."""
    match = _MERGE_PR.match(subject) or _SQUASH_PR.search(subject)
    return int(match[1]) if match else None


def _parse_log(stdout: str, on_branch: bool) -> Iterator[CommitFacts]:
    for record in stdout.split(MARK):
        fields = record.rstrip("\n").split(SEP, 5)
        if len(fields) != 6:
            continue
        sha, parents, author, email, stamp, subject = fields
        yield CommitFacts(
            sha=sha,
            parents=tuple(parents.split()),
            author=author,
            author_email=email,
            date=parse_utc(stamp),
            subject=subject,
            pr=pr_number(subject),
            on_branch=on_branch,
        )


def run_git(root: Path, args: list[str], stdin: bytes | None = None) -> bytes:
    try:
        result = subprocess.run(
            ["git", *args], cwd=root, input=stdin, capture_output=True, check=False
        )
    except OSError as exc:
        raise GitError(f"cannot run git in {root}: {exc}") from exc
    if result.returncode != 0:
        first = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed in {root}: {first[0] if first else 'no message'}")
    return result.stdout


def _existing(root: Path, shas: list[str]) -> list[str]:
    if not shas:
        return []
    out = run_git(root, ["cat-file", "--batch-check"], "\n".join(shas).encode() + b"\n")
    found = []
    for line in out.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1] == "commit":
            found.append(parts[0])
    return found


def commit_log(path: Path, branch: str, extra: Iterable[str] = ()) -> CommitLog:
    """Facts of every commit on ``branch`` and of each SHA in ``extra`` the repository holds."""
    git.check_full_history(path)
    root = git.repo_root(path)
    tip = git.resolve_revision(root, branch)
    out = run_git(root, ["log", "--reverse", "--no-color", _FORMAT, tip])
    order = list(_parse_log(out.decode("utf-8", "replace"), on_branch=True))
    commits = {c.sha: c for c in order}
    wanted = sorted({s for s in extra if _SHA.match(s) and s not in commits})
    others = _existing(root, wanted)
    if others:
        out = run_git(
            root,
            ["log", "--no-walk=unsorted", "--no-color", _FORMAT, "--stdin"],
            "\n".join(others).encode() + b"\n",
        )
        for facts in _parse_log(out.decode("utf-8", "replace"), on_branch=False):
            commits[facts.sha] = facts
    return CommitLog(branch, commits, tuple(c.sha for c in order))
