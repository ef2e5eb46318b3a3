"""Locate the budgets: validate them, then read the git facts about them (HEAD, dirty paths);
where a relative ``sqlite:///`` path starts without git history; the GatewayConfig they hold."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler import git
from reconciler.config import ParseMemo
from reconciler.errors import (
    ConfigError,
    GitError,
    NoCommitError,
)
from reconciler.history import Revisions
from reconciler.model import DesiredState, GatewayConfig


@dataclass(frozen=True, slots=True)
class Budgets:
    """A validated budgets directory and the git facts about it. ``revisions``: the budgets at
    earlier commits, read at most once per run (every plan of the run shares it; HEAD of a clean
    tree is ``desired``, and its files' parse is reused for the unchanged files of the past)."""

    directory: Path
    desired: DesiredState
    warnings: tuple[str, ...]
    repo: Path
    commit: str
    dirty: tuple[str, ...]
    revisions: Revisions | None = None


def load_budgets(
    directory: Path, *, memo: ParseMemo | None = None
) -> tuple[DesiredState, tuple[str, ...]]:
    """Validate the budgets (ConfigError naming the first problem) and return their warnings."""
    from reconciler import config

    desired, warnings = config.load(directory, memo=memo)
    return desired, tuple(str(w) for w in warnings)


NO_COMMIT = "0" * 40


def locate(directory: Path, *, require_commit: bool = True) -> Budgets:
    """Validate the budgets, then read the repository's HEAD and dirty paths.

    Without ``require_commit`` a repository with no commit yet plans against the all-zero SHA
    (the plan is then marked dirty and can never be applied as a file: its commit is not HEAD).
    """
    memo = ParseMemo()
    desired, warnings = load_budgets(directory, memo=memo)
    repo = git.repo_root(directory)
    git.check_full_history(directory)
    try:
        commit = git.head_commit(directory)
    except NoCommitError as exc:
        if require_commit:
            raise
        commit = NO_COMMIT
        warnings = (*warnings, f"{exc} (this plan uses commit {NO_COMMIT[:7]})")
    dirty = tuple(git.dirty_paths(directory))
    clean = not dirty and commit != NO_COMMIT
    return Budgets(
        directory=directory,
        desired=desired,
        warnings=warnings,
        repo=repo,
        commit=commit,
        dirty=dirty,
        revisions=Revisions(directory, commit, desired if clean else None, memo),
    )


def budgets_root(budgets_dir: Path) -> Path:
    """Where a relative ``sqlite:///`` ledger path starts for commands that need no history
    (usage, suggest): the git repository's root, or the budgets directory's parent outside git."""
    try:
        return git.repo_root(budgets_dir)
    except GitError:
        return budgets_dir.resolve().parent


def gateway_config(directory: Path) -> tuple[GatewayConfig, tuple[str, ...]]:
    """The budgets' GatewayConfig (validated) and their warnings; ConfigError without one."""
    desired, warnings = load_budgets(directory)
    if desired.gateway is None:
        raise ConfigError(
            f"{directory} has no GatewayConfig document: add one with kind: GatewayConfig "
            "(consumer_groups and cost_tracking)"
        )
    return desired.gateway, warnings
