"""The budgets read from git in memory validate exactly as the same files on disk: the same
diagnostics naming the same paths, the same state; a file met again is not parsed again."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler import config, git
from reconciler.config import ParseMemo, validate_dir, validate_files
from reconciler.errors import ConfigError, GitError
from tests.support.budgets import (
    dump_documents,
    gateway_doc,
    organization_doc,
    team_doc,
    write_budgets,
)
from tests.support.git_repo import GitRepo

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
HERE = Path(__file__).resolve().parent.parent
SAMPLE = HERE.parent / "budgets"
INVALID = sorted(p / "budgets" for p in (HERE / "fixtures" / "invalid").iterdir())


def _committed(tmp_path: Path, source: Path) -> tuple[GitRepo, Path, str]:
    repo = GitRepo.init(tmp_path / "repo")
    budgets = repo.root / "budgets"
    shutil.copytree(source, budgets, symlinks=True)
    return repo, budgets, repo.commit("budgets", when=T0)


def _in_memory(budgets: Path, sha: str) -> list[tuple[str, bytes]]:
    root = git.repo_root(budgets)
    files = git.files_at(root, sha, "budgets")
    assert isinstance(files, list)
    return files


@pytest.mark.parametrize("source", [SAMPLE, *INVALID], ids=lambda p: p.parent.name)
def test_the_tree_in_memory_reports_what_the_directory_reports(
    tmp_path: Path, source: Path
) -> None:
    _repo, budgets, sha = _committed(tmp_path, source)
    on_disk = validate_dir(budgets)
    in_memory = validate_files(budgets, _in_memory(budgets, sha))
    assert in_memory == on_disk
    if on_disk.state is None:
        with pytest.raises(ConfigError) as disk_error:
            config.load(budgets)
        with pytest.raises(ConfigError) as git_error:
            git.load_at(budgets, sha)
        assert str(git_error.value) == str(disk_error.value)
        assert git_error.value.diagnostics == disk_error.value.diagnostics
    else:
        assert git.load_at(budgets, sha) == config.load(budgets)[0]


def test_every_invalid_fixture_is_compared() -> None:
    assert len(INVALID) >= 50
    assert SAMPLE.is_dir()


def test_files_git_cannot_check_out_as_budgets_are_left_out_as_on_disk(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    budgets = write_budgets(
        repo.root / "budgets",
        organization=organization_doc("org_x"),
        teams=[team_doc("team_a", "100.00")],
        gateway=gateway_doc({"eng": "team_a"}),
    )
    repo.write("budgets/.hidden/team_b.yaml", "not: [valid")
    repo.write("budgets/notes.txt", "not: [valid")
    repo.write("budgets/teams/TEAM_C.YML", dump_documents(team_doc("team_c", "5.00")))
    repo.write("budgets/teams/bom.yaml", "\ufeff" + dump_documents(team_doc("team_d", "7.00")))
    sha = repo.commit("budgets", when=T0)
    files = _in_memory(budgets, sha)
    assert [name for name, _data in files] == [
        "gateway.yaml",
        "organization.yaml",
        "teams/TEAM_C.YML",
        "teams/bom.yaml",
        "teams/team_a.yaml",
    ]
    assert validate_files(budgets, files) == validate_dir(budgets)


def test_a_tree_with_a_symlink_is_read_from_a_checkout_where_the_link_rules_apply(
    tmp_path: Path,
) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    budgets = write_budgets(
        repo.root / "budgets",
        organization=organization_doc("org_x"),
        teams=[team_doc("team_a", "100.00")],
        gateway=gateway_doc({"eng": "team_a"}),
    )
    (budgets / "alias.yaml").symlink_to("teams/team_a.yaml")
    inside = repo.commit("a link inside", when=T0)
    assert git.files_at(repo.root, inside, "budgets") == git.SYMLINKED
    then, now = git.load_at(budgets, inside), config.load(budgets)[0]
    assert then is not None
    assert [(t.id, t.envelope) for t in then.teams] == [(t.id, t.envelope) for t in now.teams]
    (budgets / "outside.yaml").symlink_to("../../secret.yaml")
    outside = repo.commit("a link out", when=T0)
    with pytest.raises(GitError, match=r"would link to .*outside the destination"):
        git.load_at(budgets, outside)


def test_a_file_met_again_is_parsed_once_per_run(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    teams = [team_doc(f"team_{i}", "100.00") for i in range(5)]

    def commit(envelope: str) -> str:
        write_budgets(
            repo.root / "budgets",
            organization=organization_doc("org_x"),
            teams=[*teams, team_doc("team_z", envelope)],
            gateway=gateway_doc({"eng": "team_0"}),
        )
        return repo.commit(f"team_z {envelope}", when=T0)

    first, second = commit("1.00"), commit("2.00")
    budgets = repo.root / "budgets"
    memo = ParseMemo()
    then = git.load_at(budgets, first, memo=memo)
    parsed = len(memo)
    now = git.load_at(budgets, second, memo=memo)
    assert (parsed, len(memo)) == (8, 9)  # 6 Teams, Organization, GatewayConfig; then team_z
    assert then == git.load_at(budgets, first)
    assert now == config.load(budgets, memo=memo)[0]
    assert len(memo) == 9  # the checkout is the second commit: nothing new to parse
    assert now is not None
    assert [t.envelope for t in now.teams if t.id == "team_z"] == [2_000_000]


_TEAM_TEXT = dump_documents(team_doc("team_b", "7.00"))
_BAD = "not valid UTF-8: byte "
# The bytes of teams/team_b.yaml, and what reading them gives: None when team_b is read,
# else the start of the problem reported at teams/team_b.yaml.
DECODE_CASES: dict[str, tuple[bytes, str | None]] = {
    "a UTF-8 byte order mark": (b"\xef\xbb\xbf" + _TEAM_TEXT.encode(), None),
    "only a byte order mark": (b"\xef\xbb\xbf", "'team_b' names no declared Team"),
    "a bad byte after a byte order mark": (
        b"\xef\xbb\xbf" + _TEAM_TEXT.encode() + b"name: \xff\n",
        "6:7: " + _BAD + "0xff at offset 76",
    ),
    "a bad byte on a later line": (
        _TEAM_TEXT.encode() + b"name: caf\xe9\n",
        "6:10: " + _BAD + "0xe9 at offset 76",
    ),
    "a truncated UTF-8 sequence at the end": (
        _TEAM_TEXT.encode() + b"name: \xe2\x82",
        "6:7: " + _BAD + "0xe2 at offset 73",
    ),
    "UTF-16 with its byte order mark": (
        _TEAM_TEXT.encode("utf-16"),
        "1:1: " + _BAD + "0xff at offset 0",
    ),
    "CRLF line breaks": (_TEAM_TEXT.replace("\n", "\r\n").encode(), None),
    "lone CR line breaks": (_TEAM_TEXT.replace("\n", "\r").encode(), None),
    "a NUL byte": (
        _TEAM_TEXT.encode() + b"name: a\x00b\n",
        "6:8: invalid YAML: control characters are not allowed",
    ),
    "no final line break": (_TEAM_TEXT.rstrip("\n").encode(), None),
    "non-ASCII text": (_TEAM_TEXT.encode() + "name: Ingénierie ✓\n".encode(), None),
    "over the size limit": (
        _TEAM_TEXT.encode() + b"#" * (1024 * 1024),
        "file is 1,048,643 bytes, over the 1,048,576-byte limit",
    ),
}


@pytest.mark.parametrize(("data", "problem"), DECODE_CASES.values(), ids=list(DECODE_CASES))
def test_each_decode_rule_reads_the_same_bytes_the_same_on_disk_and_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes, problem: str | None
) -> None:
    monkeypatch.chdir(tmp_path)
    budgets = write_budgets(
        Path("budgets"),
        organization=organization_doc("org_x"),
        teams=[team_doc("team_a", "100.00")],
        gateway=gateway_doc({"eng": "team_a", "ops": "team_b"}),
    )
    (budgets / "teams" / "team_b.yaml").write_bytes(data)
    files = [
        (path.relative_to(budgets).as_posix(), path.read_bytes())
        for path in sorted(budgets.rglob("*.yaml"))
    ]
    on_disk = validate_dir(budgets)
    assert validate_files(budgets, files) == on_disk
    if problem is None:
        assert on_disk.state is not None
        assert [team.id for team in on_disk.state.teams] == ["team_a", "team_b"]
    else:
        lines = [str(d) for d in on_disk.diagnostics]
        prefix = "budgets/gateway.yaml:8:19: gateway.consumer_groups[ops].wallet_team_id: "
        at_file = "budgets/teams/team_b.yaml:"
        shown = [line.removeprefix(prefix).removeprefix(at_file).lstrip() for line in lines]
        assert any(line.startswith(problem) for line in shown), lines
