"""``reconciler validate`` through the real CLI: formats, streams, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli

from .conftest import TEAM_A, Check

NEGATIVE = (
    "budgets/team_a.yaml:4:11: teams[team_a].envelope: -5.00 is negative; envelopes are "
    "credits per period and must be >= 0"
)
UNKNOWN = (
    "budgets/team_a.yaml:5:1: teams[team_a].envelop: unknown key 'envelop'; "
    "did you mean 'envelope'?"
)
WARNING = (
    "budgets/team_b.yaml:3:5: teams[team_b].id: no consumer group maps to this team, so gateway "
    "traffic never draws on its wallet; add one to the GatewayConfig's consumer_groups"
)


def _invalid(check: Check) -> None:
    check(
        {
            "team_a.yaml": TEAM_A.replace("10.00", "-5.00") + "envelop: 1\n",
            "team_b.yaml": TEAM_A.replace("team_a", "team_b"),
        }
    )


def test_text_valid_prints_summary_and_warnings_on_stderr(check: Check) -> None:
    check({"team_b.yaml": TEAM_A.replace("team_a", "team_b")})
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 0
    assert result.stdout == (
        "2 teams, 1 consumer group, Σ envelopes 20.00 USD per month, headroom 100.00\n"
    )
    assert result.stderr == f"warning: {WARNING}\n"


def test_text_invalid_prints_every_problem_then_the_count(check: Check) -> None:
    _invalid(check)
    result = CliRunner().invoke(cli, ["validate", "budgets"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"{NEGATIVE}\n{UNKNOWN}\nwarning: {WARNING}\n2 errors, 1 warning\n"


def test_json_invalid(check: Check) -> None:
    _invalid(check)
    result = CliRunner().invoke(cli, ["validate", "--format", "json"])
    assert result.exit_code == 1
    assert result.stderr == ""
    document = json.loads(result.stdout)
    assert document == {
        "format_version": 1,
        "valid": False,
        "summary": None,
        "counts": {"errors": 2, "warnings": 1},
        "diagnostics": [
            {
                "severity": "error",
                "file": "budgets/team_a.yaml",
                "line": 4,
                "col": 11,
                "key_path": "teams[team_a].envelope",
                "message": "-5.00 is negative; envelopes are credits per period and must be >= 0",
            },
            {
                "severity": "error",
                "file": "budgets/team_a.yaml",
                "line": 5,
                "col": 1,
                "key_path": "teams[team_a].envelop",
                "message": "unknown key 'envelop'; did you mean 'envelope'?",
            },
            {
                "severity": "warning",
                "file": "budgets/team_b.yaml",
                "line": 3,
                "col": 5,
                "key_path": "teams[team_b].id",
                "message": WARNING.split("teams[team_b].id: ")[1],
            },
        ],
    }


def test_json_valid_has_amounts_as_strings(check: Check) -> None:
    check({})
    result = CliRunner().invoke(cli, ["validate", "--format", "json"])
    assert result.exit_code == 0
    summary = json.loads(result.stdout)["summary"]
    assert summary["envelopes_total"] == "10.00"
    assert summary["headroom"] == "100.00"


def test_github_annotations_are_escaped(check: Check) -> None:
    _invalid(check)
    check({"odd,name:x.yaml": "a: [\n"}, base=False)
    result = CliRunner().invoke(cli, ["validate", "--format", "github"])
    assert result.exit_code == 1
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "::error file=budgets/odd%2Cname%3Ax.yaml,line=2,col=1::invalid YAML: did not find "
        "expected node content (while parsing a flow node)",
        "::error file=budgets/team_a.yaml,line=4,col=11::teams[team_a].envelope: -5.00 is "
        "negative; envelopes are credits per period and must be >= 0",
        "::error file=budgets/team_a.yaml,line=5,col=1::teams[team_a].envelop: unknown key "
        "'envelop'; did you mean 'envelope'?",
        f"::warning file=budgets/team_b.yaml,line=3,col=5::{WARNING.split(': ', 1)[1]}",
    ]


def test_github_escapes_percent_and_shows_newlines_as_the_text_output_does(check: Check) -> None:
    check({"team_a.yaml": TEAM_A + "name: ''\n\"100%\\nx\": 1\n"})
    result = CliRunner().invoke(cli, ["validate", "--format", "github"])
    assert result.stdout.splitlines() == [
        "::error file=budgets/team_a.yaml,line=5,col=7::teams[team_a].name: must not be empty",
        "::error file=budgets/team_a.yaml,line=6,col=1::teams[team_a].100%25\\nx: unknown key "
        "'100%25\\nx'",
    ]


def test_github_valid_ends_with_a_notice(check: Check) -> None:
    check({})
    result = CliRunner().invoke(cli, ["validate", "--format", "github"])
    assert result.exit_code == 0
    assert result.stdout == (
        "::notice::1 team, 1 consumer group, Σ envelopes 10.00 USD per month, headroom 100.00\n"
    )


def test_directory_level_problem_in_every_format(budgets: Path) -> None:
    runner = CliRunner()
    text = runner.invoke(cli, ["validate"])
    assert (text.exit_code, text.stderr) == (
        1,
        "budgets: no YAML documents found; add organization.yaml (kind: Organization)\n1 error\n",
    )
    github = runner.invoke(cli, ["validate", "--format", "github"])
    assert github.stdout == (
        "::error file=budgets::no YAML documents found; add organization.yaml "
        "(kind: Organization)\n"
    )


def test_summary_of_other_periods_and_removed_teams(check: Check) -> None:
    org = (
        "apiVersion: reconciler/v1\nkind: Organization\nid: org_q\nperiod: quarterly\n"
        "headroom: 1234567.5\n"
    )
    removed = "apiVersion: reconciler/v1\nkind: Team\nid: team_old\nremoved: true\n"
    check({"organization.yaml": org, "old.yaml": removed})
    result = CliRunner().invoke(cli, ["validate"])
    assert result.stdout == (
        "1 team (+1 removed), 1 consumer group, Σ envelopes 10.00 USD per quarter, "
        "headroom 1,234,567.50\n"
    )
    for period, phrase in (("weekly", "per week"), ("none", "per period")):
        check({"organization.yaml": org.replace("quarterly", period)})
        assert phrase in CliRunner().invoke(cli, ["validate"]).stdout


def test_bad_format_and_file_as_dir_are_usage_errors(check: Check) -> None:
    check({})
    assert CliRunner().invoke(cli, ["validate", "--format", "xml"]).exit_code == 64
    assert CliRunner().invoke(cli, ["validate", "budgets/team_a.yaml"]).exit_code == 64


def test_help_has_an_example_and_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["validate", "--help"])
    assert result.exit_code == 0
    assert "  Example:\n    reconciler validate\n" in result.output
    assert "    1   invalid: at least one error\n" in result.output
    assert "--format [text|json|github]" in result.output
