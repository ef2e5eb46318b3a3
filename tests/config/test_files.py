"""What is refused before YAML sees a file: size, encoding, symlinks, empty or missing dirs."""

from __future__ import annotations

from pathlib import Path

from reconciler.config import validate_dir
from reconciler.config.files import MAX_FILE_BYTES

from .conftest import ORG, TEAM_A, Check


def test_a_50_mb_file_is_refused_by_its_size(check: Check, budgets: Path) -> None:
    huge = budgets / "huge.yaml"
    with huge.open("wb") as handle:  # sparse: 50 MB that is never read
        handle.truncate(50 * 1024 * 1024)
    assert check({}) == [
        "budgets/huge.yaml: file is 52,428,800 bytes, over the 1,048,576-byte limit for a "
        "budgets file; split it into smaller files"
    ]


def test_a_file_just_over_the_limit_is_refused(check: Check) -> None:
    text = "# " + "x" * (MAX_FILE_BYTES - 2) + "\n"
    assert check({"big.yaml": text}) == [
        "budgets/big.yaml: file is 1,048,577 bytes, over the 1,048,576-byte limit for a "
        "budgets file; split it into smaller files"
    ]


def test_non_utf8_names_byte_offset_line_and_column(check: Check, budgets: Path) -> None:
    (budgets / "latin1.yaml").write_bytes(
        TEAM_A.replace("team_a", "team_b").encode() + b"name: Caf\xe9\n"
    )
    assert check({}) == [
        "budgets/latin1.yaml:5:10: not valid UTF-8: byte 0xe9 at offset 73; save the file as UTF-8"
    ]


def test_utf8_bom_is_accepted(check: Check, budgets: Path) -> None:
    check({})
    text = TEAM_A + "name: Café\n"
    (budgets / "team_a.yaml").write_bytes(b"\xef\xbb\xbf" + text.encode())
    report = validate_dir(Path("budgets"))
    assert report.diagnostics == ()
    assert report.state is not None
    assert report.state.teams[0].name == "Café"


def test_symlink_leading_outside_is_refused(check: Check, budgets: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(TEAM_A.replace("team_a", "team_x"), encoding="utf-8")
    (budgets / "linked.yaml").symlink_to(outside)
    (tmp_path / "elsewhere").mkdir()
    (budgets / "linked_dir").symlink_to(tmp_path / "elsewhere")
    assert check({}) == [
        f"budgets/linked.yaml: symlink leads outside the budgets directory (to "
        f"{outside.as_posix()}); replace the link with a copy of the file, or point it inside "
        "the budgets directory",
        f"budgets/linked_dir: symlink leads outside the budgets directory (to "
        f"{(tmp_path / 'elsewhere').as_posix()}); replace the link with a copy of the directory, "
        "or point it inside the budgets directory",
    ]


def test_relative_symlink_escaping_via_dotdot_is_refused(check: Check, budgets: Path) -> None:
    (budgets.parent / "secret.yaml").write_text(ORG, encoding="utf-8")
    (budgets / "sub").mkdir()
    (budgets / "sub" / "org.yaml").symlink_to(Path("..") / ".." / "secret.yaml")
    (line,) = check({})
    assert line.startswith("budgets/sub/org.yaml: symlink leads outside the budgets directory")


def test_broken_symlink(check: Check, budgets: Path) -> None:
    (budgets / "gone.yaml").symlink_to(budgets / "nowhere.yaml")
    assert check({}) == [
        f"budgets/gone.yaml: broken symlink (to {(budgets / 'nowhere.yaml').as_posix()}, which "
        "does not exist); point it at a file inside the budgets directory, or delete it"
    ]


def test_symlink_inside_is_read_once(check: Check, budgets: Path) -> None:
    (budgets / "alias.yaml").symlink_to("team_a.yaml")
    (budgets / "teams").mkdir()
    (budgets / "teams_link").symlink_to("teams")
    assert check({}) == []


def test_empty_directory(budgets: Path) -> None:
    (budgets / "README.md").write_text("not yaml\n", encoding="utf-8")
    (budgets / "empty.yaml").write_text("# nothing yet\n---\n", encoding="utf-8")
    assert [str(d) for d in validate_dir(Path("budgets")).diagnostics] == [
        "budgets: no YAML documents found; add organization.yaml (kind: Organization)"
    ]


def test_missing_directory(budgets: Path) -> None:
    assert [str(d) for d in validate_dir(Path("nope")).diagnostics] == [
        "nope: no such directory; pass the budgets directory (default: ./budgets)"
    ]


def test_recursive_sorted_multi_document_yml_and_hidden_skipped(
    check: Check, budgets: Path
) -> None:
    team_b = TEAM_A.replace("team_a", "team_b")
    team_c = TEAM_A.replace("team_a", "team_c")
    gateway = (
        "apiVersion: reconciler/v1\nkind: GatewayConfig\nconsumer_groups:\n"
        "  - {id: a, wallet_team_id: team_a}\n  - {id: b, wallet_team_id: team_b}\n"
        "  - {id: c, wallet_team_id: team_c}\n"
    )
    files = {
        "gw.yaml": gateway,
        "nested/deeper/bc.yml": team_b + "---\n" + team_c,
        ".hidden/broken.yaml": "{{{",
        "nested/.swap.yaml": "{{{",
        "notes.txt": "{{{",
    }
    assert check(files) == []
    report = validate_dir(Path("budgets"))
    assert report.state is not None
    locations = [str(team.location) for team in report.state.teams]
    assert locations == [
        "budgets/team_a.yaml:1:1",
        "budgets/nested/deeper/bc.yml:1:1",
        "budgets/nested/deeper/bc.yml:6:1",
    ]


def test_a_directory_named_like_yaml_is_not_a_file(check: Check, budgets: Path) -> None:
    (budgets / "dir.yaml").mkdir()
    assert check({"dir.yaml/team_b.yaml": TEAM_A.replace("team_a", "team_b")}) == [
        "budgets/dir.yaml/team_b.yaml:3:5: teams[team_b].id: no consumer group maps to this "
        "team, so gateway traffic never draws on its wallet; add one to the GatewayConfig's "
        "consumer_groups"
    ]
