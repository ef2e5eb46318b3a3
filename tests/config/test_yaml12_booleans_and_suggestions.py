"""YAML 1.1 booleans are refused with the fix; "did you mean" names only genuinely close names."""

from __future__ import annotations

from .conftest import GATEWAY_A, TEAM_A, Check


def test_yaml11_booleans_are_refused_with_the_fix(check: Check) -> None:
    team = TEAM_A + "protect: yes\nrollover: Off\n"
    tomb = TEAM_A.replace("team_a", "team_b") + "removed: on\n"
    assert check({"team_a.yaml": team, "team_b.yaml": tomb}) == [
        "budgets/team_a.yaml:5:10: teams[team_a].protect: 'yes' is a YAML 1.1 boolean, which "
        "YAML 1.2 tools (editors, CI) read as text; write true",
        "budgets/team_a.yaml:6:11: teams[team_a].rollover: 'Off' is a YAML 1.1 boolean, which "
        "YAML 1.2 tools (editors, CI) read as text; write false",
        "budgets/team_b.yaml:3:5: teams[team_b].id: no consumer group maps to this team, so "
        "gateway traffic never draws on its wallet; add one to the GatewayConfig's "
        "consumer_groups",
        "budgets/team_b.yaml:5:10: teams[team_b].removed: 'on' is a YAML 1.1 boolean, which "
        "YAML 1.2 tools (editors, CI) read as text; write true",
    ]


def test_yaml12_booleans_in_every_core_spelling_are_accepted(check: Check) -> None:
    team = TEAM_A + "protect: True\nrollover: FALSE\n"
    assert check({"team_a.yaml": team}) == []


def test_yes_where_text_is_expected_is_text(check: Check) -> None:
    assert check({"team_a.yaml": TEAM_A + "name: yes\n"}) == []


def _gateway(target: str) -> str:
    return GATEWAY_A + f"  - id: group_b\n    wallet_team_id: {target}\n"


def test_a_shared_prefix_alone_suggests_nothing(check: Check) -> None:
    legal = TEAM_A.replace("team_a", "team_legal")
    assert check({"team_legal.yaml": legal, "gw.yaml": _gateway("team_research")}) == [
        "budgets/gw.yaml:7:21: gateway.consumer_groups[group_b].wallet_team_id: 'team_research' "
        "names no declared Team; declare it in a Team document or fix the id",
        "budgets/team_legal.yaml:3:5: teams[team_legal].id: no consumer group maps to this team, "
        "so gateway traffic never draws on its wallet; add one to the GatewayConfig's "
        "consumer_groups",
    ]


def test_a_typo_suggests_the_close_name_not_a_shorter_one(check: Check) -> None:
    teams = {
        f"{team}.yaml": TEAM_A.replace("team_a", team)
        for team in ("team_eng", "team_research", "team_legal")
    }
    found = check(teams | {"gw.yaml": _gateway("team_reserch")})
    assert found[0] == (
        "budgets/gw.yaml:7:21: gateway.consumer_groups[group_b].wallet_team_id: 'team_reserch' "
        "names no declared Team; did you mean 'team_research'?"
    )
