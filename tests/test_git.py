from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler import git
from reconciler.errors import GitError, NoCommitError
from tests.support.budgets import gateway_doc, organization_doc, team_doc, write_budgets
from tests.support.git_repo import GitRepo

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def team_text(team_id: str, envelope: str = "1000.00") -> str:
    return (
        "apiVersion: reconciler/v1\nkind: Team\n"
        f"id: {team_id}\nname: {team_id}\nenvelope: {envelope}\n"
    )


def test_head_commit_is_the_full_sha(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("budgets/a.yaml", team_text("team_a"))
    sha = repo.commit("add a", when=T0)
    assert git.head_commit(repo.root / "budgets") == sha
    assert len(sha) == 40
    assert git.repo_root(repo.root / "budgets") == repo.root.resolve()


def test_no_commit_yet_is_refused_with_a_hint(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("budgets/a.yaml", team_text("team_a"))
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
    repo.write("budgets/a.yaml", team_text("team_a"))
    repo.write("budgets/b.yaml", team_text("team_b"))
    repo.write("README.md", "hello\n")
    repo.commit("start", when=T0)
    assert git.dirty_paths(repo.root / "budgets") == []

    repo.write("budgets/a.yaml", team_text("team_a", "2000.00"))  # modified
    repo.write("budgets/teams/new.yaml", team_text("team_new"))  # untracked, nested
    repo.write("budgets/b.yaml", team_text("team_b", "5.00"))
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
    repo.write("budgets/a.yaml", team_text("team_a"))
    repo.commit("start", when=T0)
    repo.write("budgets/a.yaml.bak", "backup\n")
    assert git.dirty_paths(repo.root / "budgets") == []


def test_managed_since_is_the_first_commit_that_added_each_team(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    t1 = datetime(2026, 9, 3, 10, 0, tzinfo=UTC)
    t2 = datetime(2026, 10, 7, 8, 30, tzinfo=UTC)
    t3 = datetime(2026, 11, 2, 17, 45, tzinfo=UTC)
    repo.write("budgets/org.yaml", "apiVersion: reconciler/v1\nkind: Organization\nid: org_x\n")
    repo.write("budgets/a.yaml", team_text("team_a"))
    repo.commit("a", when=t1)
    repo.write("budgets/more.yaml", team_text("team_b") + "---\n" + team_text("team_c"))
    repo.write("budgets/a.yaml", team_text("team_a", "3000.00"))  # later edit keeps t1
    repo.commit("b and c", when=t2)
    # team_b moves to another file and quotes its id: still managed since t2
    repo.write("budgets/more.yaml", team_text("team_c"))
    repo.write("budgets/teams/b.yaml", team_text('"team_b"'))
    repo.write("budgets/d.yaml", team_text("'team_d'") + "  # trailing\n")
    repo.commit("move b, add d", when=t3)
    repo.write("budgets/e.yaml", team_text("team_e"))  # not committed

    since = git.managed_since(
        repo.root / "budgets", ["team_a", "team_b", "team_c", "team_d", "team_e"]
    )
    assert since == {"team_a": t1, "team_b": t2, "team_c": t2, "team_d": t3}
    assert git.managed_since(repo.root / "budgets", []) == {}


def test_managed_since_counts_a_merged_branch_at_its_merge_commit(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("budgets/a.yaml", team_text("team_a"))
    repo.commit("a", when=datetime(2026, 1, 5, tzinfo=UTC))
    repo.git("checkout", "--quiet", "-b", "feature")
    repo.write("budgets/b.yaml", team_text("team_b"))
    repo.commit("b on a branch", when=datetime(2026, 2, 1, tzinfo=UTC))
    repo.git("checkout", "--quiet", "main")
    merged = datetime(2026, 3, 9, 12, tzinfo=UTC)
    repo.git("merge", "--quiet", "--no-ff", "-m", "Merge pull request #7", "feature", when=merged)
    assert git.managed_since(repo.root / "budgets", ["team_b"]) == {"team_b": merged}


def test_managed_since_in_a_repository_without_commits(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("budgets/a.yaml", team_text("team_a"))
    assert git.managed_since(repo.root / "budgets", ["team_a"]) == {}


def test_resolve_revision_refuses_unknown_revisions(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("budgets/a.yaml", team_text("team_a"))
    sha = repo.commit("a", when=T0)
    assert git.resolve_revision(repo.root, "main") == sha
    with pytest.raises(GitError) as err:
        git.resolve_revision(repo.root, "nope")
    assert str(err.value) == (
        f"'nope' is not a commit in {repo.root.resolve()}: fetch it (CI: fetch-depth: 0)"
    )


def test_load_at_reads_the_budgets_as_they_were_at_a_revision(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("README.md", "before the budgets\n")
    empty = repo.commit("no budgets yet", when=T0)
    write_budgets(
        repo.root / "budgets",
        organization=organization_doc("org_x"),
        teams=[team_doc("team_a", "100.00"), team_doc("team_b", "50.00")],
        gateway=gateway_doc({"eng": "team_a"}),
    )
    first = repo.commit("eng -> team_a", when=T0)
    write_budgets(
        repo.root / "budgets",
        organization=organization_doc("org_x"),
        teams=[team_doc("team_a", "100.00"), team_doc("team_b", "75.00")],
        gateway=gateway_doc({"eng": "team_b", "ops": "team_a"}),
    )
    repo.commit("eng -> team_b", when=T0)
    repo.write("budgets/teams/team_a.yaml", "not: [valid")  # the working tree does not matter

    then = git.load_at(repo.root / "budgets", first)
    assert then is not None
    assert [(t.id, t.envelope) for t in then.teams] == [
        ("team_a", 100_000_000),
        ("team_b", 50_000_000),
    ]
    assert then.gateway is not None
    assert [(g.id, g.wallet_team_id) for g in then.gateway.consumer_groups] == [("eng", "team_a")]
    now = git.load_at(repo.root / "budgets", "HEAD")
    assert now is not None
    assert now.gateway is not None
    assert [(g.id, g.wallet_team_id) for g in now.gateway.consumer_groups] == [
        ("eng", "team_b"),
        ("ops", "team_a"),
    ]
    assert git.load_at(repo.root / "budgets", empty) is None
    with pytest.raises(GitError, match=r"^'v9' is not a commit in "):
        git.load_at(repo.root / "budgets", "v9")


def test_managed_since_reads_history_only_until_every_team_is_found(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    first = datetime(2026, 1, 1, 1, tzinfo=UTC)
    repo.write("budgets/a.yaml", team_text("team_a"))
    repo.write("budgets/crlf.yaml", team_text("team_crlf").replace("\n", "\r\n"))
    repo.commit("a", when=first)
    for month in range(2, 13):  # a year of envelope changes
        repo.write("budgets/a.yaml", team_text("team_a", f"{month}000.00"))
        repo.commit(f"month {month}", when=first.replace(month=month))
    last = datetime(2026, 12, 20, tzinfo=UTC)
    repo.write("budgets/z.yaml", team_text("team_z"))
    repo.commit("z", when=last)
    budgets = repo.root / "budgets"
    assert git.managed_since(budgets, ["team_a"]) == {"team_a": first}
    assert git.managed_since(budgets, ["team_crlf", "team_a"]) == {
        "team_a": first,
        "team_crlf": first,
    }
    assert git.managed_since(budgets, ["team_z", "team_a"]) == {"team_a": first, "team_z": last}
    assert git.managed_since(budgets, ["team_nope", "team_a"]) == {"team_a": first}


def test_managed_since_fails_with_git_when_history_cannot_be_read(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("budgets/a.yaml", team_text("team_a"))
    repo.commit("a", when=T0)
    repo.write("budgets/b.yaml", team_text("team_b"))
    repo.commit("b", when=T0.replace(day=2))
    blob = repo.git("rev-parse", "HEAD:budgets/b.yaml")
    (repo.root / ".git" / "objects" / blob[:2] / blob[2:]).unlink()  # a broken clone
    with pytest.raises(GitError, match="git log failed"):
        git.managed_since(repo.root / "budgets", ["team_b"])


def test_every_way_git_is_run_says_so_when_git_is_not_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("budgets/a.yaml", team_text("team_a"))
    repo.commit("a", when=T0)
    blob = repo.git("rev-parse", "HEAD:budgets/a.yaml")
    budgets = repo.root / "budgets"
    empty = tmp_path / "no-git"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    runs = {
        "a whole output": lambda: git.head_commit(budgets),
        "lines as git writes them": lambda: git.managed_since(budgets, ["team_a"]),
        "input on stdin": lambda: git.cat_blobs(repo.root, [blob]),
    }
    for how, run in runs.items():
        with pytest.raises(GitError) as err:
            run()
        assert str(err.value) == (
            "git is not installed or not on PATH: install git to use reconciler"
        ), how
