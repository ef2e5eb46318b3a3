"""Regression tests for the QA findings on validation (qa-a #7, #8, #13, #14, #15, #20)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.config.salvage import text_team_ids

from .conftest import ORG, TEAM_A, Check

MANY = TEAM_A + "".join(f"k{i}: 1\n" for i in range(150))


def test_text_count_is_the_real_number_of_problems(check: Check) -> None:
    check({"team_a.yaml": MANY})
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 102  # the note, 100 problems, the count
    assert lines[0] == (
        "budgets/team_a.yaml: 50 more problems in this file after the first 100 are not shown"
    )
    assert lines[1] == "budgets/team_a.yaml:5:1: teams[team_a].k0: unknown key 'k0'"
    assert lines[-1] == "150 errors"


def test_json_and_github_do_not_count_the_note_as_an_error(check: Check) -> None:
    check({"team_a.yaml": MANY})
    result = CliRunner().invoke(cli, ["validate", "--format", "json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["counts"] == {"errors": 150, "warnings": 0}
    severities = [d["severity"] for d in document["diagnostics"]]
    assert severities == ["notice"] + ["error"] * 100
    assert document["diagnostics"][0]["message"] == (
        "50 more problems in this file after the first 100 are not shown"
    )
    github = CliRunner().invoke(cli, ["validate", "--format", "github"])
    assert github.stdout.splitlines()[0] == (
        "::notice file=budgets/team_a.yaml::50 more problems in this file after the first 100 "
        "are not shown"
    )


def test_other_commands_name_the_real_count(check: Check) -> None:
    check({"team_a.yaml": MANY})
    result = CliRunner().invoke(cli, ["plan", "budgets", "--ledger", "sqlite:///x.db"])
    assert result.exit_code == 1
    assert "(and 149 more errors); run 'reconciler validate' for the full list" in result.stderr


def test_text_escapes_control_and_invisible_characters(check: Check) -> None:
    check(
        {
            "team_a.yaml": TEAM_A + '"bad\\e]0;pwned\\akey": 1\n',
            "team_b.yaml": TEAM_A.replace("team_a", '"team\\u200bb\\0\\x85\\u202e"'),
        }
    )
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        "budgets/team_a.yaml:5:1: teams[team_a].bad\\x1b]0;pwned\\x07key: unknown key "
        "'bad\\x1b]0;pwned\\x07key'",
        "budgets/team_b.yaml:3:5: teams[team\\u200bb\\x00\\x85\\u202e].id: "
        "'team\\u200bb\\x00\\x85\\u202e' is not a valid id: use letters, digits, '_', '-', '.' "
        "and ':', starting with a letter or digit (at most 64 characters)",
    ]
    assert all(ch.isprintable() for ch in result.stderr.replace("\n", ""))


def test_json_keeps_the_characters_as_they_are(check: Check) -> None:
    check({"team_a.yaml": TEAM_A + '"bad\\ekey": 1\n'})
    result = CliRunner().invoke(cli, ["validate", "--format", "json"])
    (diagnostic,) = json.loads(result.stdout)["diagnostics"]
    assert diagnostic["message"] == "unknown key 'bad\x1bkey'"
    assert "\x1b" not in result.stdout  # JSON escapes it as \u001b


def test_symlink_loop_is_reported_as_a_loop(check: Check, budgets: Path) -> None:
    (budgets / "loop2.yaml").symlink_to("loop1")
    (budgets / "loop1").symlink_to("loop2.yaml")
    (budgets / "self.yaml").symlink_to("self.yaml")
    check({})
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 1
    assert result.stderr == (
        "budgets/loop2.yaml: symlink loop (loop2.yaml → loop1 → loop2.yaml); replace the link "
        "with the file, or delete it\n"
        "budgets/self.yaml: symlink loop (self.yaml → self.yaml); replace the link with the "
        "file, or delete it\n"
        "2 errors\n"
    )


def test_symlink_messages_say_what_to_do(check: Check, budgets: Path, tmp_path: Path) -> None:
    (budgets / "gone.yaml").symlink_to("nowhere.yaml")
    outside = tmp_path / "outside.yaml"
    outside.write_text(TEAM_A, encoding="utf-8")
    (budgets / "out.yaml").symlink_to(outside)
    assert check({}) == [
        f"budgets/gone.yaml: broken symlink (to {(budgets / 'nowhere.yaml').as_posix()}, which "
        "does not exist); point it at a file inside the budgets directory, or delete it",
        f"budgets/out.yaml: symlink leads outside the budgets directory (to {outside.as_posix()});"
        " replace the link with a copy of the file, or point it inside the budgets directory",
    ]


TAG_FIX = "remove it (budgets files use no YAML tags; quote a value to make it text)"


def test_every_explicit_tag_is_refused_naming_it(check: Check) -> None:
    check(
        {
            "team_a.yaml": TEAM_A
            + "name: !!bogus Eng\n"
            + "owners: !!seq ['@a']\n"
            + "drift: !!python/object:os.system foo\n"
            + "mode: !!str period\n"
        }
    )
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"budgets/team_a.yaml:5:7: unsupported YAML tag !!bogus; {TAG_FIX}\n"
        f"budgets/team_a.yaml:6:9: unsupported YAML tag !!seq; {TAG_FIX}\n"
        f"budgets/team_a.yaml:7:8: unsupported YAML tag !!python/object:os.system; {TAG_FIX}\n"
        "budgets/team_a.yaml:7:8: teams[team_a].drift: 'foo' is not one of warn, correct\n"
        f"budgets/team_a.yaml:8:7: unsupported YAML tag !!str; {TAG_FIX}\n"
        "5 errors\n"
    )


def test_a_tagged_amount_gets_the_tag_error_only(check: Check) -> None:
    for tag in ("!!python/tuple", "!!str", "!!float", "!weird"):
        lines = check({"team_a.yaml": TEAM_A.replace("10.00", f"{tag} 10.00")})
        assert lines == [f"budgets/team_a.yaml:4:11: unsupported YAML tag {tag}; {TAG_FIX}"]


PLAIN = "is not a plain decimal number (exponent notation); write amounts as plain decimals"


def test_exponent_amounts_are_all_refused_alike(check: Check) -> None:
    check(
        {
            "organization.yaml": ORG.replace("100.00", "1.0e+2")
            + "guards:\n  max_movement_per_apply: 2.5E-1\n",
            "team_a.yaml": TEAM_A.replace("10.00", "1e3") + "name: 1e3\n",
            "team_b.yaml": TEAM_A.replace("team_a", "team_b").replace("10.00", "!!float 1e3"),
            "team_c.yaml": TEAM_A.replace("team_a", "team_c").replace("10.00", "1_0e2")
            + "envelope_max: 1e400\n",
        }
    )
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"budgets/organization.yaml:5:11: organization.headroom: 1.0e+2 {PLAIN}, e.g. 100.00",
        "budgets/organization.yaml:7:27: organization.guards.max_movement_per_apply: 2.5E-1 "
        f"{PLAIN}, e.g. 0.25",
        f"budgets/team_a.yaml:4:11: teams[team_a].envelope: 1e3 {PLAIN}, e.g. 1000.00",
        "warning: budgets/team_b.yaml:3:5: teams[team_b].id: no consumer group maps to this "
        "team, so gateway traffic never draws on its wallet; add one to the GatewayConfig's "
        "consumer_groups",
        f"budgets/team_b.yaml:4:11: unsupported YAML tag !!float; {TAG_FIX}",
        f"budgets/team_b.yaml:4:11: teams[team_b].envelope: !!float 1e3 {PLAIN}, e.g. 1000.00",
        "warning: budgets/team_c.yaml:3:5: teams[team_c].id: no consumer group maps to this "
        "team, so gateway traffic never draws on its wallet; add one to the GatewayConfig's "
        "consumer_groups",
        f"budgets/team_c.yaml:4:11: teams[team_c].envelope: 1_0e2 {PLAIN}, e.g. 1000.00",
        f"budgets/team_c.yaml:5:15: teams[team_c].envelope_max: 1e400 {PLAIN}, e.g. 12000.00",
        "7 errors, 2 warnings",
    ]


def test_plain_decimals_pass_and_a_quoted_exponent_is_a_string(check: Check) -> None:
    for text in ("12000", "12000.50", "1_000.25"):
        assert check({"team_a.yaml": TEAM_A.replace("10.00", text)}) == []
    assert check({"team_a.yaml": TEAM_A.replace("10.00", '"1e3"')}) == [
        "budgets/team_a.yaml:4:11: teams[team_a].envelope: expected a number like 12000.00, "
        "got '1e3'"
    ]


NO_TEAM = (
    "budgets/gw.yaml:5:21: gateway.consumer_groups[group_a].wallet_team_id: 'team_a' names no "
    "declared Team; declare it in a Team document or fix the id"
)


def test_a_team_file_that_fails_to_parse_still_declares_its_id(check: Check, budgets: Path) -> None:
    check({"team_a.yaml": TEAM_A.replace("envelope", "\tenvelope")})
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 1
    assert result.stderr == (
        "budgets/team_a.yaml:4:1: invalid YAML: found a tab character that violates "
        "indentation (while scanning a plain scalar)\n1 error\n"
    )
    (budgets / "team_a.yaml").write_bytes(TEAM_A.encode() + b"name: caf\xe9\n")
    result = CliRunner().invoke(cli, ["validate"])
    assert result.stderr == (
        "budgets/team_a.yaml:5:10: not valid UTF-8: byte 0xe9 at offset 73; save the file as "
        "UTF-8\n1 error\n"
    )
    (budgets / "team_a.yaml").write_bytes(TEAM_A.encode() + b"name: a\x00b\n")
    result = CliRunner().invoke(cli, ["validate"])
    assert result.stderr.startswith("budgets/team_a.yaml:5:8: invalid YAML: ")
    assert result.stderr.endswith("\n1 error\n")


def test_a_misspelled_kind_still_declares_its_id(check: Check) -> None:
    assert check({"team_a.yaml": TEAM_A.replace("kind: Team", "kind: team")}) == [
        "budgets/team_a.yaml:2:7: kind: unknown kind 'team'; did you mean 'Team'? (expected "
        "Organization, Team or GatewayConfig)"
    ]
    assert check({"team_a.yaml": TEAM_A.replace("kind: Team\n", "")}) == [
        "budgets/team_a.yaml:1:1: kind: missing kind: one of Organization, Team or GatewayConfig"
    ]


def test_an_unreadable_id_keeps_the_undeclared_team_error(check: Check) -> None:
    lines = check({"team_a.yaml": TEAM_A.replace("id: team_a", "\tid: team_a")})
    assert NO_TEAM in lines
    lines = check({"team_a.yaml": TEAM_A.replace("kind: Team", "kind: Organisation")})
    assert NO_TEAM in lines


def test_ids_read_from_the_text_of_a_broken_file() -> None:
    text = (
        "apiVersion: reconciler/v1\nkind: Organization\nid: org_x\n---\n"
        "kind: Team\nid: 'team_q'  # quoted\n  id: nested\n--- # next\n"
        "id: team_r\n\tbroken: [\n...\nkind: GatewayConfig\nid: not_a_team\n"
    )
    assert text_team_ids(text) == {"team_q", "team_r"}
