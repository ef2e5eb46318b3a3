"""What the repository's history says (DESIGN §4.4, §6).

Commit facts
------------
``commit_log`` reads every commit of a branch in ONE ``git log`` pass (author, committer date,
subject, parents, the pull request number from a ``Merge pull request #N`` or a squashed
``subject (#N)``) and looks up any other SHA the caller names (ledger notes) in one
``git cat-file --batch-check`` plus one ``git log --no-walk`` pass: never a process per movement.
A SHA the repository does not hold is simply absent (forged, another repository, rewritten
history); one it holds but the branch does not reach has ``on_branch`` False.

``envelope_history`` is each team's envelope across the branch's first-parent commits, for
blame: one ``git log --raw`` pass names the Team files each commit changed and one
``git cat-file --batch`` pass reads those blobs; no tree is checked out or validated per commit.

A shallow clone is refused first (``git.check_full_history``): its history would be cut short.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reconciler import git, money
from reconciler.config.nodes import Mapping, Scalar, scalar_str
from reconciler.config.yamlload import compose
from reconciler.errors import GitError

# ---------------------------------------------------------------------------------------------
# Commit facts
# ---------------------------------------------------------------------------------------------

_MARK = "\x01"
_SEP = "\x1f"
_FORMAT = f"--format={_MARK}%H{_SEP}%P{_SEP}%an{_SEP}%ae{_SEP}%cI{_SEP}%s"
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
    for record in stdout.split(_MARK):
        fields = record.rstrip("\n").split(_SEP, 5)
        if len(fields) != 6:
            continue
        sha, parents, author, email, stamp, subject = fields
        yield CommitFacts(
            sha=sha,
            parents=tuple(parents.split()),
            author=author,
            author_email=email,
            date=datetime.fromisoformat(stamp).astimezone(UTC),
            subject=subject,
            pr=pr_number(subject),
            on_branch=on_branch,
        )


def _run(root: Path, args: list[str], stdin: bytes | None = None) -> bytes:
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
    out = _run(root, ["cat-file", "--batch-check"], "\n".join(shas).encode() + b"\n")
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
    out = _run(root, ["log", "--reverse", "--no-color", _FORMAT, tip])
    order = list(_parse_log(out.decode("utf-8", "replace"), on_branch=True))
    commits = {c.sha: c for c in order}
    wanted = sorted({s for s in extra if _SHA.match(s) and s not in commits})
    others = _existing(root, wanted)
    if others:
        out = _run(
            root,
            ["log", "--no-walk=unsorted", "--no-color", _FORMAT, "--stdin"],
            "\n".join(others).encode() + b"\n",
        )
        for facts in _parse_log(out.decode("utf-8", "replace"), on_branch=False):
            commits[facts.sha] = facts
    return CommitLog(branch, commits, tuple(c.sha for c in order))


# ---------------------------------------------------------------------------------------------
# Envelope history (blame)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EnvelopeChange:
    """A first-parent commit that changed a team's envelope; None = no Team document."""

    commit: str
    date: datetime
    team_id: str
    old: int | None
    new: int | None


def _teams_in(text: str, file: str) -> dict[str, int | None]:
    """Team id -> envelope (micros; None if unreadable) for each Team document in ``text``."""
    documents, _problems = compose(text, file)
    found: dict[str, int | None] = {}
    for doc in documents:
        root = doc.root
        if not isinstance(root, Mapping) or scalar_str(root.get("kind")) != "Team":
            continue
        team_id = scalar_str(root.get("id"))
        if team_id is None:
            continue
        node = root.get("envelope")
        try:
            found[team_id] = money.to_micros(node.text) if isinstance(node, Scalar) else None
        except (money.AmountError, ArithmeticError, ValueError):
            found[team_id] = None
    return found


def _read_blobs(root: Path, blobs: set[str]) -> dict[str, str]:
    if not blobs:
        return {}
    names = sorted(blobs)
    out = _run(root, ["cat-file", "--batch"], "\n".join(names).encode() + b"\n")
    texts: dict[str, str] = {}
    pos = 0
    while pos < len(out):
        end = out.index(b"\n", pos)
        header = out[pos:end].decode().split()
        pos = end + 1
        if len(header) < 3 or header[1] == "missing":
            continue
        size = int(header[2])
        texts[header[0]] = out[pos : pos + size].decode("utf-8", "replace")
        pos += size + 1
    return texts


_Raw = list[tuple[str, datetime, list[tuple[str, str]]]]  # commit, date, [(path, new blob)]


def _raw_changes(root: Path, tip: str, rel: str) -> _Raw:
    out = _run(
        root,
        [
            "log",
            "--first-parent",
            "--reverse",
            "--no-renames",
            "--raw",
            "--no-abbrev",
            "-m",
            f"--format={_MARK}%H {_SEP}%cI",
            tip,
            "--",
            rel,
        ],
    )
    commits: _Raw = []
    for line in out.decode("utf-8", "replace").splitlines():
        if line.startswith(_MARK):
            sha, stamp = line[1:].split(f" {_SEP}", 1)
            commits.append((sha, datetime.fromisoformat(stamp).astimezone(UTC), []))
        elif line.startswith(":") and commits:
            meta, _tab, name = line.partition("\t")
            new_blob = meta.split()[3]
            if name.endswith((".yaml", ".yml")):
                commits[-1][2].append((name, new_blob))
    return commits


def envelope_history(budgets_dir: Path, branch: str = "HEAD") -> dict[str, list[EnvelopeChange]]:
    """Each team's envelope changes along ``branch``'s first parents, oldest first."""
    git.check_full_history(budgets_dir)
    root = git.repo_root(budgets_dir)
    rel = budgets_dir.resolve().relative_to(root).as_posix() or "."
    tip = git.resolve_revision(root, branch)
    raw = _raw_changes(root, tip, rel)
    zero = "0" * 40
    texts = _read_blobs(root, {b for _c, _d, files in raw for _p, b in files if b != zero})
    per_file: dict[str, dict[str, int | None]] = {}
    current: dict[str, int | None] = {}
    history: dict[str, list[EnvelopeChange]] = {}
    for sha, date, files in raw:
        for name, blob in files:
            if blob == zero or blob not in texts:
                per_file.pop(name, None)
            else:
                per_file[name] = _teams_in(texts[blob], name)
        now: dict[str, int | None] = {}
        for teams in per_file.values():
            now.update(teams)
        for team_id in sorted(set(now) | set(current)):
            before, after = current.get(team_id), now.get(team_id)
            if (team_id in current) != (team_id in now) or before != after:
                change = EnvelopeChange(sha, date, team_id, before, after)
                history.setdefault(team_id, []).append(change)
        current = now
    return history
