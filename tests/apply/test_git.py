from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler import git
from reconciler.errors import GitError, NoCommitError
from tests.support.git_repo import GitRepo


def team_doc(team_id: str, envelope: str = "1000.00") -> str:
    return (
        "apiVersion: reconciler/v1\nkind: Team\n"
        f"id: {team_id}\nname: {team_id}\nenvelope: {envelope}\n"
    )


def test_head_commit_is_the_full_sha(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("budgets/a.yaml", team_doc("team_a"))
    sha = repo.commit("add a")
    assert git.head_commit(repo.root / "budgets") == sha
    assert len(sha) == 40
    assert git.repo_root(repo.root / "budgets") == repo.root.resolve()


def test_no_commit_yet_is_refused_with_a_hint(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("budgets/a.yaml", team_doc("team_a"))
    with pytest.raises(NoCommitError) as err:
        git.head_commit(repo.root / "budgets")
    assert str(err.value) == (
        f"repository {repo.root.resolve()} has no commit yet: commit the budgets first"
    )


def test_not_a_repository(tmp_path: Path) -> None:
    (tmp_path / "budgets").mkdir()
    with pytest.raises(GitError, match=r"is not inside a git repository: run `git init`"):
        git.head_commit(tmp_path / "budgets")


def test_dirty_paths_lists_modified_staged_and_untracked_under_budgets_only(
    tmp_path: Path,
) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("budgets/a.yaml", team_doc("team_a"))
    repo.write("budgets/b.yaml", team_doc("team_b"))
    repo.write("README.md", "hello\n")
    repo.commit("start")
    assert git.dirty_paths(repo.root / "budgets") == []

    repo.write("budgets/a.yaml", team_doc("team_a", "2000.00"))  # modified
    repo.write("budgets/teams/new.yaml", team_doc("team_new"))  # untracked, nested
    repo.write("budgets/b.yaml", team_doc("team_b", "5.00"))
    repo.git("add", "budgets/b.yaml")  # staged
    repo.write("README.md", "changed outside the budgets\n")
    assert git.dirty_paths(repo.root / "budgets") == [
        "budgets/a.yaml",
        "budgets/b.yaml",
        "budgets/teams/new.yaml",
    ]


def test_dirty_paths_ignores_git_ignored_files(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write(".gitignore", "*.bak\n")
    repo.write("budgets/a.yaml", team_doc("team_a"))
    repo.commit("start")
    repo.write("budgets/a.yaml.bak", "backup\n")
    assert git.dirty_paths(repo.root / "budgets") == []


def test_managed_since_is_the_first_commit_that_added_each_team(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    t1 = datetime(2026, 9, 3, 10, 0, tzinfo=UTC)
    t2 = datetime(2026, 10, 7, 8, 30, tzinfo=UTC)
    t3 = datetime(2026, 11, 2, 17, 45, tzinfo=UTC)
    repo.write("budgets/org.yaml", "apiVersion: reconciler/v1\nkind: Organization\nid: org_x\n")
    repo.write("budgets/a.yaml", team_doc("team_a"))
    repo.commit("a", when=t1)
    repo.write("budgets/more.yaml", team_doc("team_b") + "---\n" + team_doc("team_c"))
    repo.write("budgets/a.yaml", team_doc("team_a", "3000.00"))  # later edit keeps t1
    repo.commit("b and c", when=t2)
    # team_b moves to another file and quotes its id: still managed since t2
    repo.write("budgets/more.yaml", team_doc("team_c"))
    repo.write("budgets/teams/b.yaml", team_doc('"team_b"'))
    repo.write("budgets/d.yaml", team_doc("'team_d'") + "  # trailing\n")
    repo.commit("move b, add d", when=t3)
    repo.write("budgets/e.yaml", team_doc("team_e"))  # not committed

    since = git.managed_since(
        repo.root / "budgets", ["team_a", "team_b", "team_c", "team_d", "team_e"]
    )
    assert since == {"team_a": t1, "team_b": t2, "team_c": t2, "team_d": t3}
    assert git.managed_since(repo.root / "budgets", []) == {}


def test_managed_since_counts_a_merged_branch_at_its_merge_commit(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("budgets/a.yaml", team_doc("team_a"))
    repo.commit("a", when=datetime(2026, 1, 5, tzinfo=UTC))
    repo.git("checkout", "--quiet", "-b", "feature")
    repo.write("budgets/b.yaml", team_doc("team_b"))
    repo.commit("b on a branch", when=datetime(2026, 2, 1, tzinfo=UTC))
    repo.git("checkout", "--quiet", "main")
    merged = datetime(2026, 3, 9, 12, tzinfo=UTC)
    repo.git("merge", "--quiet", "--no-ff", "-m", "Merge pull request #7", "feature", when=merged)
    assert git.managed_since(repo.root / "budgets", ["team_b"]) == {"team_b": merged}


def test_managed_since_in_a_repository_without_commits(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("budgets/a.yaml", team_doc("team_a"))
    assert git.managed_since(repo.root / "budgets", ["team_a"]) == {}


def test_resolve_revision_refuses_unknown_revisions(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("budgets/a.yaml", team_doc("team_a"))
    sha = repo.commit("a")
    assert git.resolve_revision(repo.root, "main") == sha
    with pytest.raises(GitError) as err:
        git.resolve_revision(repo.root, "nope")
    assert str(err.value) == (
        f"'nope' is not a commit in {repo.root.resolve()}: fetch it (CI: fetch-depth: 0)"
    )
