"""Commit facts and envelope history read from a real repository in bulk."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler import history
from reconciler.errors import ShallowCloneError
from tests.support.git_repo import GitRepo

ORG = "apiVersion: reconciler/v1\nkind: Organization\nid: org_acme\nperiod: monthly\n"


def team(team_id: str, envelope: str) -> str:
    return f"apiVersion: reconciler/v1\nkind: Team\nid: {team_id}\nenvelope: {envelope}\n"


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """main: initial; a feature branch merged as PR #7; a squash commit 'raise ops (#9)'."""
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("budgets/org.yaml", ORG)
    repo.write("budgets/eng.yaml", team("team_eng", "100.00"))
    repo.commit("Initial budgets", when=at(1))
    repo.git("checkout", "--quiet", "-b", "feature")
    repo.write("budgets/eng.yaml", team("team_eng", "150.00"))
    repo.commit("Give eng more", when=at(2))
    repo.git("checkout", "--quiet", "main")
    repo.git(
        "merge",
        "--no-ff",
        "--quiet",
        "-m",
        "Merge pull request #7 from acme/feature",
        "feature",
        when=at(3),
    )
    repo.write("budgets/ops.yaml", team("team_ops", "20.5"))
    repo.commit("Add ops (#9)", when=at(4))
    repo.write("budgets/ops.yaml", team("team_ops", "30"))
    repo.git("mv", "budgets/eng.yaml", "budgets/engineering.yaml")
    repo.commit("Raise ops, rename eng file", when=at(5))
    return repo


def test_one_pass_gives_author_date_subject_pr_parents(repo: GitRepo) -> None:
    log = history.commit_log(repo.root / "budgets", "main")
    facts = [log.commits[sha] for sha in log.branch_order]
    assert [f.subject for f in facts] == [
        "Initial budgets",
        "Give eng more",
        "Merge pull request #7 from acme/feature",
        "Add ops (#9)",
        "Raise ops, rename eng file",
    ]
    assert [f.pr for f in facts] == [None, None, 7, 9, None]
    assert [len(f.parents) for f in facts] == [0, 1, 2, 1, 1]
    assert facts[2].date == at(3)
    assert facts[0].author == "Test Author"
    assert all(f.on_branch for f in facts)


def test_other_shas_are_found_off_branch_or_absent(repo: GitRepo) -> None:
    repo.git("checkout", "--quiet", "-b", "side")
    side = repo.commit("Experiment", when=at(6))
    repo.git("checkout", "--quiet", "main")
    forged = "1234567890abcdef" * 2 + "12345678"
    log = history.commit_log(repo.root, "main", extra=[side, forged, "not-a-sha"])
    assert log.commits[side].on_branch is False
    assert log.commits[side].subject == "Experiment"
    assert log.get(forged) is None


def test_force_pushed_commit_no_longer_on_branch(repo: GitRepo) -> None:
    lost = repo.head()
    repo.git("reset", "--quiet", "--hard", "HEAD~1")
    log = history.commit_log(repo.root, "main", extra=[lost])
    assert log.commits[lost].on_branch is False
    assert lost not in log.branch_order


def test_envelope_history_follows_merges_renames_and_new_teams(repo: GitRepo) -> None:
    changes = history.envelope_history(repo.root / "budgets", "main")
    eng = [(c.date, c.old, c.new) for c in changes["team_eng"]]
    # the feature commit is not first-parent: the merge is where eng changed on main
    assert eng == [(at(1), None, 100_000_000), (at(3), 100_000_000, 150_000_000)]
    ops = [(c.date, c.old, c.new) for c in changes["team_ops"]]
    assert ops == [(at(4), None, 20_500_000), (at(5), 20_500_000, 30_000_000)]


def test_removed_team_ends_its_history(repo: GitRepo) -> None:
    repo.git("rm", "--quiet", "budgets/ops.yaml")
    repo.commit("Remove ops", when=at(7))
    last = history.envelope_history(repo.root / "budgets")["team_ops"][-1]
    assert (last.date, last.old, last.new) == (at(7), 30_000_000, None)


def test_shallow_clone_is_refused_with_the_fix(repo: GitRepo, tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    GitRepo(tmp_path).git("clone", "--quiet", "--depth=1", f"file://{repo.root}", str(clone))
    with pytest.raises(ShallowCloneError, match="fetch-depth: 0") as caught:
        history.commit_log(clone, "HEAD")
    assert caught.value.exit_code == 1
    with pytest.raises(ShallowCloneError):
        history.envelope_history(clone / "budgets")


def test_budgets_along_builds_each_first_parent_commit_without_checkout(repo: GitRepo) -> None:
    log = history.commit_log(repo.root, "main")
    initial, feature, merge, _add_ops, last = log.branch_order
    states = history.budgets_along(repo.root / "budgets", "main", [initial, feature, merge, last])
    assert feature not in states  # inside the merged branch: not a first-parent commit
    envelopes = {
        sha: {t.id: t.envelope for t in state.teams}
        for sha, state in states.items()
        if state is not None
    }
    assert envelopes == {
        initial: {"team_eng": 100_000_000},
        merge: {"team_eng": 150_000_000},
        last: {"team_eng": 150_000_000, "team_ops": 30_000_000},
    }
    state = states[last]
    assert state is not None
    assert state.organization.id == "org_acme"


def test_budgets_that_do_not_build_are_none(repo: GitRepo) -> None:
    repo.git("rm", "--quiet", "budgets/org.yaml")
    gone = repo.commit("Drop the organization", when=at(8))
    assert history.budgets_along(repo.root / "budgets", "main", [gone]) == {gone: None}
