"""Each team's envelope along a branch, for blame and audit (DESIGN §6).

``envelope_history`` is each team's envelope across the branch's first-parent commits: one
``git log --raw`` pass names the Team files each commit changed and one ``git cat-file --batch``
pass reads those blobs; no tree is checked out or validated per commit. ``budgets_along`` builds
the budgets at chosen commits from the same single pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reconciler import git, money
from reconciler.clock import parse_utc
from reconciler.config.build import build_organization, build_team
from reconciler.config.checks import Classified
from reconciler.config.nodes import Document, Scalar, scalar_str
from reconciler.config.nodes import Mapping as YamlMapping
from reconciler.config.yamlload import compose
from reconciler.history.commits import MARK, SEP, run_git
from reconciler.model import DesiredState, Team


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
    """Each blob's text (undecodable bytes replaced: only team ids and envelopes are read)."""
    return {
        sha: data.decode("utf-8", "replace") for sha, data in git.cat_blobs(root, blobs).items()
    }


_Raw = list[tuple[str, datetime, list[tuple[str, str]]]]  # commit, date, [(path, new blob)]


def _raw_changes(root: Path, tip: str, rel: str) -> _Raw:
    out = run_git(
        root,
        [
            "log",
            "--first-parent",
            "--reverse",
            "--no-renames",
            "--raw",
            "--no-abbrev",
            "-m",
            f"--format={MARK}%H {SEP}%cI",
            tip,
            "--",
            rel,
        ],
    )
    commits: _Raw = []
    for line in out.decode("utf-8", "replace").splitlines():
        if line.startswith(MARK):
            sha, stamp = line[1:].split(f" {SEP}", 1)
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
