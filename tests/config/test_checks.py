"""One test per check of DESIGN §3: exact message, file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import load, validate_dir
from reconciler.errors import ConfigError

from .conftest import ORG, TEAM_A, Check


def test_the_base_directory_is_valid(check: Check) -> None:
    assert check({}) == []


def test_yaml_syntax_error(check: Check) -> None:
    assert check({"team_b.yaml": "apiVersion: reconciler/v1\nkind: [Team\n"}) == [
        "budgets/team_b.yaml:3:1: invalid YAML: did not find expected ',' or ']' "
        "(while parsing a flow sequence)"
    ]


def test_unknown_key_with_a_close_match(check: Check) -> None:
    assert check({"team_a.yaml": TEAM_A + "envelop: 5.00\n"}) == [
        "budgets/team_a.yaml:5:1: teams[team_a].envelop: unknown key 'envelop'; "
        "did you mean 'envelope'?"
    ]


def test_unknown_nested_key_without_a_close_match(check: Check) -> None:
    org = ORG + "guards:\n  max_movement_per_apply: 10.00\n  budget: 3\n"
    assert check({"organization.yaml": org}) == [
        "budgets/organization.yaml:8:3: organization.guards.budget: unknown key 'budget'"
    ]


def test_duplicate_key_names_both_places(check: Check) -> None:
    assert check({"team_a.yaml": TEAM_A + "envelope: 20.00\n"}) == [
        "budgets/team_a.yaml:5:1: teams[team_a].envelope: duplicate key 'envelope' at "
        "budgets/team_a.yaml:4:1 and budgets/team_a.yaml:5:1; keep one"
    ]


def test_duplicate_team_id_names_every_place(check: Check) -> None:
    assert check({"more/teams.yaml": "# two more\n" + TEAM_A + "---\n" + TEAM_A}) == [
        "budgets/more/teams.yaml:4:5: teams[team_a].id: team id 'team_a' is declared 3 times "
        "(budgets/more/teams.yaml:4:5, budgets/more/teams.yaml:9:5, budgets/team_a.yaml:3:5); "
        "declare each team once",
        "budgets/more/teams.yaml:9:5: teams[team_a].id: team id 'team_a' is declared 3 times "
        "(budgets/more/teams.yaml:4:5, budgets/more/teams.yaml:9:5, budgets/team_a.yaml:3:5); "
        "declare each team once",
        "budgets/team_a.yaml:3:5: teams[team_a].id: team id 'team_a' is declared 3 times "
        "(budgets/more/teams.yaml:4:5, budgets/more/teams.yaml:9:5, budgets/team_a.yaml:3:5); "
        "declare each team once",
    ]


def test_two_organizations_name_both(check: Check) -> None:
    message = (
        "organization: an Organization is declared 2 times (budgets/org2.yaml:1:1, "
        "budgets/organization.yaml:1:1); keep exactly one Organization document"
    )
    assert check({"org2.yaml": ORG}) == [
        f"budgets/org2.yaml:1:1: {message}",
        f"budgets/organization.yaml:1:1: {message}",
    ]


def test_missing_organization(budgets: Path, check: Check) -> None:
    assert check({"team_a.yaml": TEAM_A}, base=False) == [
        "budgets: organization: no Organization document; add one with kind: Organization"
    ]


def test_wallet_team_id_must_name_a_declared_team(check: Check) -> None:
    gateway = (
        "apiVersion: reconciler/v1\nkind: GatewayConfig\nconsumer_groups:\n"
        "  - id: group_a\n    wallet_team_id: team_a\n"
        "  - {id: group_b, wallet_team_id: team_aa}\n"
        "  - {id: group_c, wallet_team_id: nobody}\n"
    )
    assert check({"gw.yaml": gateway}) == [
        "budgets/gw.yaml:6:35: gateway.consumer_groups[group_b].wallet_team_id: 'team_aa' "
        "names no declared Team; did you mean 'team_a'?",
        "budgets/gw.yaml:7:35: gateway.consumer_groups[group_c].wallet_team_id: 'nobody' "
        "names no declared Team; declare it in a Team document or fix the id",
    ]


def test_consumer_group_id_used_twice(check: Check) -> None:
    gateway = (
        "apiVersion: reconciler/v1\nkind: GatewayConfig\nconsumer_groups:\n"
        "  - id: group_a\n    wallet_team_id: team_a\n"
        "  - id: group_a\n    wallet_team_id: team_a\n"
    )
    message = (
        "gateway.consumer_groups[group_a].id: consumer group id 'group_a' is declared 2 times "
        "(budgets/gw.yaml:4:9, budgets/gw.yaml:6:9); use each id once"
    )
    assert check({"gw.yaml": gateway}) == [
        f"budgets/gw.yaml:4:9: {message}",
        f"budgets/gw.yaml:6:9: {message}",
    ]


def test_negative_envelope_message_of_the_issue(check: Check) -> None:
    assert check({"team_a.yaml": TEAM_A.replace("10.00", "-5.00")}) == [
        "budgets/team_a.yaml:4:11: teams[team_a].envelope: -5.00 is negative; "
        "envelopes are credits per period and must be >= 0"
    ]


@pytest.mark.parametrize("text", [".nan", ".inf", "-.Inf", ".NaN"])
def test_non_finite_amounts(check: Check, text: str) -> None:
    assert check({"team_a.yaml": TEAM_A.replace("10.00", text)}) == [
        f"budgets/team_a.yaml:4:11: teams[team_a].envelope: {text} is not a finite amount; "
        "write a number of credits like 12000.00"
    ]


def test_amounts_are_whole_cents(check: Check) -> None:
    org = ORG.replace("100.00", "100.001") + "guards:\n  max_reclaim_per_apply: 1_000.5\n"
    assert check({"organization.yaml": org, "team_a.yaml": TEAM_A.replace("10.00", "10.10")}) == [
        "budgets/organization.yaml:5:11: organization.headroom: 100.001 has more precision than "
        "cents; budget amounts have at most 2 decimal places"
    ]
    assert validate_dir(Path("budgets")).state is None


def test_trailing_zeros_beyond_cents_are_still_whole_cents(check: Check) -> None:
    assert check({"team_a.yaml": TEAM_A.replace("10.00", "10.1000")}) == []
    state, _ = load(Path("budgets"))
    assert state.teams[0].envelope == 10_100_000


def test_negative_headroom_and_guard(check: Check) -> None:
    org = ORG.replace("100.00", "-1") + "guards:\n  max_reclaim_per_apply: -0.01\n"
    assert check({"organization.yaml": org}) == [
        "budgets/organization.yaml:5:11: organization.headroom: -1 is negative; headroom is "
        "what the organization wallet keeps in reserve and must be >= 0",
        "budgets/organization.yaml:7:26: organization.guards.max_reclaim_per_apply: -0.01 is "
        "negative; guards are limits per apply and must be >= 0",
    ]


def test_absurd_amount(check: Check) -> None:
    assert check({"team_a.yaml": TEAM_A.replace("10.00", "1000000000000.00")}) == [
        "budgets/team_a.yaml:4:11: teams[team_a].envelope: 1000000000000.00 is too large "
        "(the limit is 1,000,000,000,000.00); check the amount"
    ]


def test_envelope_min_must_not_exceed_envelope_max(check: Check) -> None:
    team = TEAM_A + "envelope_min: 50.00\nenvelope_max: 20.00\n"
    assert check({"team_a.yaml": team}) == [
        "budgets/team_a.yaml:5:15: teams[team_a].envelope_min: 50.00 is greater than "
        "envelope_max 20.00 (line 6); envelope_min must be <= envelope_max"
    ]


def test_unknown_api_version(check: Check) -> None:
    team = TEAM_A.replace("reconciler/v1", "reconciler/v2")
    assert check({"team_a.yaml": team}) == [
        "budgets/team_a.yaml:1:13: teams[team_a].apiVersion: unknown apiVersion "
        "'reconciler/v2'; this reconciler reads reconciler/v1"
    ]


def test_unknown_kind(check: Check) -> None:
    assert check({"team_b.yaml": TEAM_A.replace("Team", "Teams").replace("_a", "_b")}) == [
        "budgets/team_b.yaml:2:7: kind: unknown kind 'Teams'; did you mean 'Team'? "
        "(expected Organization, Team or GatewayConfig)"
    ]


def test_missing_api_version_and_kind(check: Check) -> None:
    assert check({"x.yaml": "id: team_x\n"}) == [
        "budgets/x.yaml:1:1: apiVersion: missing apiVersion: reconciler/v1",
        "budgets/x.yaml:1:1: kind: missing kind: one of Organization, Team or GatewayConfig",
    ]


def test_a_document_must_be_a_mapping(check: Check) -> None:
    assert check({"x.yaml": "# notes\n- just\n- a list\n"}) == [
        "budgets/x.yaml:2:1: a document must be a mapping with apiVersion and kind"
    ]


def test_team_without_consumer_group_is_a_warning(check: Check) -> None:
    team_b = TEAM_A.replace("team_a", "team_b")
    report_lines = check({"team_b.yaml": team_b})
    assert report_lines == [
        "budgets/team_b.yaml:3:5: teams[team_b].id: no consumer group maps to this team, so "
        "gateway traffic never draws on its wallet; add one to the GatewayConfig's consumer_groups"
    ]
    report = validate_dir(Path("budgets"))
    assert report.ok
    assert [d.severity for d in report.diagnostics] == ["warning"]
    state, warnings = load(Path("budgets"))
    assert [t.id for t in state.teams] == ["team_a", "team_b"]
    assert warnings == report.warnings


def test_removed_team_may_omit_its_envelope(check: Check) -> None:
    team_b = "apiVersion: reconciler/v1\nkind: Team\nid: team_b\nremoved: true\n"
    assert check({"team_b.yaml": team_b}) == []
    state, _ = load(Path("budgets"))
    removed = state.team("team_b")
    assert removed is not None
    assert (removed.removed, removed.envelope) == (True, 0)


def test_a_managed_team_needs_an_envelope(check: Check) -> None:
    assert check({"team_a.yaml": TEAM_A.replace("envelope: 10.00\n", "removed: false\n")}) == [
        "budgets/team_a.yaml:1:1: teams[team_a]: missing required key 'envelope'; give the "
        "team its credits per period, or mark it removed: true"
    ]


def test_protect_and_removed_conflict(check: Check) -> None:
    assert check({"team_a.yaml": TEAM_A + "protect: true\nremoved: true\n"}) == [
        "budgets/gw.yaml:5:21: gateway.consumer_groups[group_a].wallet_team_id: team 'team_a' "
        "is removed: true; this group's traffic falls through to the organization wallet",
        "budgets/team_a.yaml:5:1: teams[team_a].protect: protect: true forbids the reclaim "
        "that removed: true needs; drop protect",
    ]


def test_wrong_types_and_enums(check: Check) -> None:
    org = ORG.replace("monthly", "montly") + "defaults:\n  rollover: 'no'\n"
    team = TEAM_A.replace("10.00", '"10.00"') + "owners: [eng-leads]\n"
    assert check({"organization.yaml": org, "team_a.yaml": team}) == [
        "budgets/organization.yaml:4:9: organization.period: 'montly' is not one of monthly, "
        "quarterly, weekly, none; did you mean 'monthly'?",
        "budgets/organization.yaml:7:13: organization.defaults.rollover: expected true or "
        "false, got 'no'",
        "budgets/team_a.yaml:4:11: teams[team_a].envelope: expected a number like 12000.00, "
        "got '10.00'",
        "budgets/team_a.yaml:5:10: teams[team_a].owners[0]: 'eng-leads' is not a GitHub "
        "@user, @org/team or an email address",
    ]


def test_two_gateway_configs(check: Check) -> None:
    gateway = "apiVersion: reconciler/v1\nkind: GatewayConfig\nconsumer_groups: []\n"
    message = (
        "gateway: a GatewayConfig is declared 2 times (budgets/gw.yaml:1:1, "
        "budgets/gw2.yaml:1:1); keep at most one GatewayConfig document"
    )
    assert check({"gw2.yaml": gateway}) == [
        f"budgets/gw.yaml:1:1: {message}",
        f"budgets/gw2.yaml:1:1: {message}",
    ]


def test_ledger_is_optional(check: Check) -> None:
    assert check({}) == []
    state, _ = load(Path("budgets"))
    assert state.organization.ledger is None


def test_problems_of_all_files_are_reported_at_once_sorted(check: Check) -> None:
    lines = check(
        {
            "b.yaml": TEAM_A.replace("team_a", "team_b").replace("10.00", "-1.00"),
            "a/deep/c.yml": TEAM_A.replace("team_a", "team_c") + "bogus: 1\n",
        }
    )
    assert [line.split(": ")[0] for line in lines] == [
        "budgets/a/deep/c.yml:3:5",
        "budgets/a/deep/c.yml:5:1",
        "budgets/b.yaml:3:5",
        "budgets/b.yaml:4:11",
    ]


def test_load_raises_config_error_with_every_diagnostic(check: Check) -> None:
    check({"team_a.yaml": TEAM_A.replace("10.00", "-5.00") + "x: 1\n"})
    with pytest.raises(ConfigError) as caught:
        load(Path("budgets"))
    assert str(caught.value) == (
        "budgets is invalid: budgets/team_a.yaml:4:11: teams[team_a].envelope: -5.00 is "
        "negative; envelopes are credits per period and must be >= 0 (and 1 more error); "
        "run 'reconciler validate' for the full list"
    )
    assert len(caught.value.diagnostics) == 2


def test_paths_outside_the_working_directory_are_absolute(
    check: Check,
    budgets: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    check({"team_a.yaml": TEAM_A + "x: 1\n"})
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    (line,) = [str(d) for d in validate_dir(budgets).diagnostics]
    assert line == f"{budgets.as_posix()}/team_a.yaml:5:1: teams[team_a].x: unknown key 'x'"


def test_no_gateway_config_is_one_warning(check: Check, budgets: Path) -> None:
    check({})
    (budgets / "gw.yaml").unlink()
    report = validate_dir(Path("budgets"))
    assert report.ok
    assert [str(d) for d in report.diagnostics] == [
        "budgets: gateway: no GatewayConfig document, so no consumer group maps to any team "
        "wallet; add one with kind: GatewayConfig"
    ]
    assert report.warnings == report.diagnostics
    state, _ = load(Path("budgets"))
    assert state.gateway is None


def test_at_most_100_problems_per_file_then_a_count(check: Check) -> None:
    lines = check({"team_a.yaml": TEAM_A + "".join(f"x{i}: 1\n" for i in range(150))})
    assert len(lines) == 101
    assert lines[0] == (
        "budgets/team_a.yaml: 50 more problems in this file after the first 100 are not shown"
    )
    assert lines[1] == "budgets/team_a.yaml:5:1: teams[team_a].x0: unknown key 'x0'"
    assert lines[-1] == "budgets/team_a.yaml:104:1: teams[team_a].x99: unknown key 'x99'"


@pytest.mark.parametrize(
    ("text", "read_as"),
    [("017", "15"), ("1:30", "90"), ("0x10", "16"), ("0b11", "3")],
)
def test_amounts_are_plain_decimal_numbers(check: Check, text: str, read_as: str) -> None:
    assert check({"team_a.yaml": TEAM_A.replace("10.00", text)}) == [
        f"budgets/team_a.yaml:4:11: teams[team_a].envelope: {text} is not a plain decimal "
        f"number (YAML reads it as {read_as}); write amounts as plain decimals, e.g. 12000.00"
    ]


def test_long_values_are_clipped_in_messages(check: Check) -> None:
    digits = "1" * 5000
    assert check({"team_a.yaml": TEAM_A.replace("10.00", f"1.{digits}")}) == [
        "budgets/team_a.yaml:4:11: teams[team_a].envelope: 1.11111111111111111…"
        "1111111111111111111 has more precision than cents; budget amounts have at most 2 "
        "decimal places"
    ]
    assert check({"team_a.yaml": TEAM_A.replace("10.00", digits)}) == [
        "budgets/team_a.yaml:4:11: teams[team_a].envelope: 1111111111111111111…1111111111111111111 "
        "is too large (the limit is 1,000,000,000,000.00); check the amount"
    ]


def test_long_keys_are_clipped(check: Check) -> None:
    key = "k" * 300
    assert check({"team_a.yaml": TEAM_A + f"{key}: 1\n"}) == [
        f"budgets/team_a.yaml:5:1: teams[team_a].{'k' * 19}…{'k' * 19}: unknown key "
        f"'{'k' * 19}…{'k' * 19}'"
    ]


def test_a_tombstoned_teams_group_is_warned_by_validate_not_by_every_plan(
    check: Check, budgets: Path
) -> None:
    warning = (
        "budgets/gw.yaml:5:21: gateway.consumer_groups[group_a].wallet_team_id: team 'team_a' "
        "is removed: true; this group's traffic falls through to the organization wallet"
    )
    tomb = TEAM_A.replace("envelope: 10.00\n", "removed: true\n")
    assert check({"team_a.yaml": tomb}) == [warning]
    _state, warnings = load(Path("budgets"))
    assert warning not in [str(w) for w in warnings]
