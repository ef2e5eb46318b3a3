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

Plan facts
----------
``read`` gathers what one plan needs from the past as a ``History`` value: when each team came
under management (``git.managed_since``), each team's envelope at the commit of its newest
reconciler movement (``previous_envelopes``: only to word reasons), and the consumer-group
routing changes against ``--base`` or the last applied commit (``routing``, with a warning when
that revision cannot be read).

A shallow clone is refused first (``git.check_full_history``): its history would be cut short.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from reconciler import git, money, notes
from reconciler.clock import parse_utc
from reconciler.config.build import build_organization, build_team
from reconciler.config.checks import Classified
from reconciler.config.nodes import Document, Scalar, scalar_str
from reconciler.config.nodes import Mapping as YamlMapping
from reconciler.config.yamlload import compose
from reconciler.errors import (
    ConfigError,
    GitError,
)
from reconciler.ledger.base import Ledger, Observed
from reconciler.model import DesiredState, GatewayConfig, Team
from reconciler.planning.types import RoutingChange

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
            date=parse_utc(stamp),
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


def _teams_in(documents: tuple[Document, ...]) -> dict[str, int | None]:
    """Team id -> envelope (micros; None if unreadable) for each Team document of a file."""
    found: dict[str, int | None] = {}
    for doc in documents:
        root = doc.root
        if not isinstance(root, YamlMapping) or scalar_str(root.get("kind")) != "Team":
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
            commits.append((sha, parse_utc(stamp), []))
        elif line.startswith(":") and commits:
            meta, _tab, name = line.partition("\t")
            new_blob = meta.split()[3]
            if name.endswith((".yaml", ".yml")):
                commits[-1][2].append((name, new_blob))
    return commits


def _first_parent_states(
    budgets_dir: Path, branch: str
) -> Iterator[tuple[str, datetime, dict[str, tuple[Document, ...]]]]:
    """(commit, date, file -> YAML documents) after each first-parent commit touching the
    budgets: one ``git log --raw`` and one ``cat-file --batch``; each blob composed once."""
    git.check_full_history(budgets_dir)
    root = git.repo_root(budgets_dir)
    rel = budgets_dir.resolve().relative_to(root).as_posix() or "."
    tip = git.resolve_revision(root, branch)
    raw = _raw_changes(root, tip, rel)
    zero = "0" * 40
    texts = _read_blobs(root, {b for _c, _d, files in raw for _p, b in files if b != zero})
    composed: dict[str, tuple[Document, ...]] = {}
    per_file: dict[str, tuple[Document, ...]] = {}
    for sha, date, files in raw:
        for name, blob in files:
            if blob == zero or blob not in texts:
                per_file.pop(name, None)
                continue
            if blob not in composed:
                composed[blob] = compose(texts[blob], name)[0]
            per_file[name] = composed[blob]
        yield sha, date, per_file


def envelope_history(budgets_dir: Path, branch: str = "HEAD") -> dict[str, list[EnvelopeChange]]:
    """Each team's envelope changes along ``branch``'s first parents, oldest first."""
    current: dict[str, int | None] = {}
    history: dict[str, list[EnvelopeChange]] = {}
    read: dict[int, dict[str, int | None]] = {}  # per composed blob (shared across commits)
    for sha, date, per_file in _first_parent_states(budgets_dir, branch):
        now: dict[str, int | None] = {}
        for documents in per_file.values():
            if id(documents) not in read:
                read[id(documents)] = _teams_in(documents)
            now.update(read[id(documents)])
        for team_id in sorted(set(now) | set(current)):
            before, after = current.get(team_id), now.get(team_id)
            if (team_id in current) != (team_id in now) or before != after:
                change = EnvelopeChange(sha, date, team_id, before, after)
                history.setdefault(team_id, []).append(change)
        current = now
    return history


def budgets_along(
    budgets_dir: Path, branch: str, commits: Iterable[str]
) -> dict[str, DesiredState | None]:
    """The budgets as built at each of ``commits`` that is a first-parent commit of ``branch``
    touching the budgets (None where they do not build); read from the same single pass as
    ``envelope_history``, never a checkout per commit. Not validated: for reading the past."""
    wanted = set(commits)
    found: dict[str, DesiredState | None] = {}
    built: dict[tuple[int, int], Team] = {}  # (Team document, Organization document) -> Team
    for sha, _date, per_file in _first_parent_states(budgets_dir, branch):
        if sha in wanted:
            found[sha] = _build(budgets_dir, per_file, built)
    return found


def _build(
    budgets_dir: Path,
    per_file: Mapping[str, tuple[Document, ...]],
    built: dict[tuple[int, int], Team],
) -> DesiredState | None:
    """``config.build`` of the Organization and Team documents; a Team built from the same
    document under the same Organization document is reused (unchanged files, later commits)."""
    items = [
        Classified(doc, kind, "", True)
        for documents in per_file.values()
        for doc in documents
        if isinstance(doc.root, YamlMapping)
        and (kind := scalar_str(doc.root.get("kind")) or "") in ("Organization", "Team")
    ]
    try:
        (org_item,) = [item for item in items if item.kind == "Organization"]
        org = build_organization(org_item)
        teams = []
        for item in items:
            if item.kind == "Team":
                key = (id(item.doc), id(org_item.doc))
                if key not in built:
                    built[key] = build_team(item, org)
                teams.append(built[key])
    except (ValueError, KeyError, TypeError, ArithmeticError):
        return None
    teams.sort(key=lambda t: t.id)
    return DesiredState(root=budgets_dir, organization=org, teams=tuple(teams), gateway=None)


def last_applied_commit(ledger: Ledger, observed: Observed) -> str | None:
    """The commit of the newest reconciler note: this period's team flows first, else the
    organization wallet's whole history (every movement leaves its note there too)."""
    newest: tuple[datetime, str] | None = None
    for obs in observed.teams.values():
        for flow in obs.flows:
            note = notes.parse_note(flow.note)
            if note is not None and (newest is None or flow.created_at >= newest[0]):
                newest = (flow.created_at, note.commit)
    if newest is not None:
        return newest[1]
    for entry in ledger.transactions(observed.org_wallet.id):
        note = notes.parse_note(entry.note)
        if note is not None and (newest is None or entry.created_at >= newest[0]):
            newest = (entry.created_at, note.commit)
    return newest[1] if newest else None


class Revisions:
    """The budgets at earlier commits, each read from git at most once per run; HEAD of a clean
    tree is the state already validated (the usual case after an apply: the last applied
    commit is HEAD, so no tree is read from git at all)."""

    def __init__(self, directory: Path, head: str, head_state: DesiredState | None) -> None:
        self.directory = directory
        self.head = head
        self.head_state = head_state  # None when the tree is dirty: HEAD is not what is on disk
        self._read: dict[str, DesiredState | None] = {}

    def at(self, rev: str) -> DesiredState | None:
        """The budgets at ``rev`` (GitError, ConfigError as ``git.load_at``)."""
        if rev == self.head and self.head_state is not None:
            return self.head_state
        if rev not in self._read:
            self._read[rev] = git.load_at(self.directory, rev)
        return self._read[rev]


def routing(
    revisions: Revisions,
    desired: DesiredState,
    ledger: Ledger,
    observed: Observed,
    base: str | None,
) -> tuple[tuple[RoutingChange, ...], str | None]:
    """Consumer-group mapping changes vs ``base`` (or the last applied commit), and a warning
    when that revision cannot be read."""
    rev = base if base is not None else last_applied_commit(ledger, observed)
    if rev is None:
        return routing_changes(None, desired.gateway), None
    try:
        before = revisions.at(rev)
    except GitError as exc:
        if base is not None:
            raise
        return (), f"routing changes not shown: last applied commit {rev[:7]} unreadable ({exc})"
    except ConfigError:
        return (), f"routing changes not shown: the budgets at {rev[:7]} do not validate"
    gateway_before = before.gateway if before is not None else None
    return routing_changes(gateway_before, desired.gateway), None


def previous_envelopes(revisions: Revisions, observed: Observed) -> dict[str, int]:
    """Each team's envelope at the commit of its newest reconciler movement this period.

    Only used to word reasons ("envelope raised X → Y" is said only when X was the envelope the
    last apply brought the team to). A commit that cannot be read or does not validate, or a
    team absent there, leaves the team out (the reason is then worded neutrally).
    """
    newest: dict[str, str] = {}
    for team_id, obs in observed.teams.items():
        for flow in obs.flows:  # ledger order: the last one wins
            note = notes.parse_note(flow.note)
            if note is not None:
                newest[team_id] = note.commit
    result: dict[str, int] = {}
    for commit in sorted(set(newest.values())):
        try:
            before = revisions.at(commit)
        except (GitError, ConfigError):
            continue
        if before is None:
            continue
        envelopes = {t.id: t.envelope for t in before.teams if not t.removed}
        for team_id, team_commit in newest.items():
            if team_commit == commit and team_id in envelopes:
                result[team_id] = envelopes[team_id]
    return result


def read(
    directory: Path,
    desired: DesiredState,
    ledger: Ledger,
    observed: Observed,
    *,
    commit: str,
    dirty: bool,
    base: str | None = None,
    with_routing: bool = True,
) -> tuple[History, tuple[str, ...]]:
    """The ``History`` of the budgets in ``directory`` for a plan against ``observed`` at
    ``commit``, and warnings for stderr (a routing base that cannot be read)."""
    changes: tuple[RoutingChange, ...] = ()
    warning: str | None = None
    revisions = Revisions(directory, commit, None if dirty else desired)
    if with_routing:
        changes, warning = routing(revisions, desired, ledger, observed, base)
    facts = History(
        commit=commit,
        dirty=dirty,
        managed_since=git.managed_since(directory, [t.id for t in desired.teams]),
        previous_envelopes=previous_envelopes(revisions, observed),
        routing=changes,
    )
    return facts, (warning,) if warning else ()


def routing_changes(
    before: GatewayConfig | None, after: GatewayConfig | None
) -> tuple[RoutingChange, ...]:
    """Consumer-group -> team-wallet mapping differences, sorted by consumer group id."""
    old = {g.id: g.wallet_team_id for g in before.consumer_groups} if before else {}
    new = {g.id: g.wallet_team_id for g in after.consumer_groups} if after else {}
    return tuple(
        RoutingChange(group, old.get(group), new.get(group))
        for group in sorted(old.keys() | new.keys())
        if old.get(group) != new.get(group)
    )


@dataclass(frozen=True, slots=True)
class History:
    """What the repository's past says, for one plan (``reconciler.history.read`` builds it).

    ``commit`` and ``dirty`` go into every note; ``managed_since`` (team -> when its Team document
    first reached the branch) decides adoption; ``previous_envelopes`` (team -> envelope at the
    commit of its newest reconciler movement) only decides whether a reason may say "envelope
    raised/lowered"; ``routing`` is the consumer-group mapping changes, which move no money.
    """

    commit: str
    dirty: bool = False
    managed_since: Mapping[str, datetime] = field(default_factory=dict)
    previous_envelopes: Mapping[str, int] | None = None
    routing: tuple[RoutingChange, ...] = ()
