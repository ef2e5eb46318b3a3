"""``reconciler codeowners``: each team's budget file is reviewed by the team's ``owners``.

The block maps every file that declares a Team with ``owners`` to those owners, as GitHub's
CODEOWNERS reads it: paths from the repository root (a leading ``/`` anchors them), spaces
escaped, files in path order, owners in the order written (a file with several Teams lists
the owners of all, each once). ``render.codeowners`` writes the block; teams without
owners are listed there in a comment, so a reviewer sees which envelopes nobody reviews.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from reconciler.model import DesiredState


@dataclass(frozen=True, slots=True)
class OwnedFile:
    path: str  # from the repository root, with a leading "/"
    owners: tuple[str, ...]
    team_ids: tuple[str, ...]


def owned_files(state: DesiredState, repo_root: Path) -> tuple[OwnedFile, ...]:
    """One entry per file that declares Teams, sorted by path."""
    owners: dict[str, list[str]] = {}
    teams: dict[str, list[str]] = {}
    for team in state.teams:
        if team.location is None:
            continue
        path = repo_path(Path(team.location.file), repo_root)
        listed = owners.setdefault(path, [])
        listed += [owner for owner in team.owners if owner not in listed]
        teams.setdefault(path, []).append(team.id)
    return tuple(
        OwnedFile(path, tuple(owners[path]), tuple(teams[path])) for path in sorted(owners)
    )


def repo_path(file: Path, repo_root: Path) -> str:
    absolute = Path(os.path.abspath(file))
    return "/" + absolute.relative_to(os.path.abspath(repo_root)).as_posix()
