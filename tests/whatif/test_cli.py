"""``reconciler whatif`` on a real ledger and a real budgets repository: output and bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from tests.support.budgets import team_doc
from tests.support.golden import assert_golden
from tests.support.sqlite_ledger import usd
from tests.whatif.ledgers import Organization, run, teams

NOW = datetime(2026, 11, 10, tzinfo=UTC)
CREATED = datetime(2026, 7, 20, tzinfo=UTC)


def three_months(tmp_path: Path, *, months: tuple[int, ...] = (8, 9, 10)) -> Organization:
    """team_a (100.00) runs out on the 20th of every month; team_b (50.00) never does."""
    org = Organization(tmp_path, CREATED)
    org.repo.write("README", "budgets for acme\n")
    org.commit(datetime(2026, 7, 19, tzinfo=UTC), "readme, before any budgets")
    org.write(teams(team_a="100.00", team_b="50.00"))
    org.commit(datetime(2026, 7, 20, 1, tzinfo=UTC), "budgets: team_a and team_b")
    for month in months:
        org.apply(datetime(2026, month, 1, 0, 5, tzinfo=UTC))
        org.spend("team_a", datetime(2026, month, 5, 10, tzinfo=UTC), "60.00")
        org.spend("team_a", datetime(2026, month, 20, 10, tzinfo=UTC), "50.00", "45.00")
        org.spend("team_b", datetime(2026, month, 21, 10, tzinfo=UTC), "20.00", "10.00")
    return org


def whatif(org: Organization, *args: str) -> tuple[int, str, str]:
    return run(["whatif", str(org.budgets), "--ledger", org.url, *args], NOW)


def test_a_raised_envelope_is_compared_with_the_last_applied_commit(tmp_path: Path) -> None:
    org = three_months(tmp_path)
    org.write(teams(team_a="150.00", team_b="30.00"))
    code, out, err = whatif(org)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[2] == (
        "team_a: would have run out in 0 of the last 3 periods; at base: 3 of 3. "
        "Fell through: 135.00 → 0.00. Unused at period end (returned): 120.00 → 135.00."
    )
    assert lines[3] == (
        "team_b: would have run out in 0 of the last 3 periods; at base: 0 of 3. "
        "Fell through: 0.00. Unused at period end (returned): 120.00 → 60.00."
    )
    assert "2026-10: organization available at its lowest 9,570.00 → 9,590.00" in out


def test_a_lowered_envelope_says_when_and_how_early_the_wallet_runs_out(tmp_path: Path) -> None:
    org = three_months(tmp_path)
    org.write(teams(team_a="100.00", team_b="15.00"))
    code, out, _err = whatif(org, "--format", "json")
    assert code == 0
    team_b = json.loads(out)["teams"][1]
    october = team_b["periods"][2]
    assert october["proposed"]["ran_out_at"] == "2026-10-21T10:00:00Z"
    assert october["proposed"]["fell_through"] == "10.00"
    assert october["base"]["fell_through"] == "0.00"
    assert team_b["summary"].startswith(
        "team_b: would have run out in 3 of the last 3 periods "
        "(first on 21 Aug 2026 10:00 UTC, 10 days early); at base: 0 of 3."
    )


def test_markdown_is_the_pull_request_section(tmp_path: Path) -> None:
    org = three_months(tmp_path)
    org.write([*teams(team_a="150.00", team_b="30.00"), team_doc("team_new", "10.00")])
    code, out, _err = whatif(org, "--format", "markdown")
    assert code == 0
    base = org.repo.git("rev-parse", "HEAD")
    assert_golden("whatif/raised_lowered_added.md", out.replace(base[:7], "BASE"))


def test_a_team_added_in_the_change_has_no_history_to_replay(tmp_path: Path) -> None:
    org = three_months(tmp_path)
    org.write([*teams(team_a="100.00", team_b="50.00"), team_doc("team_new", "10.00")])
    code, out, _err = whatif(org)
    assert code == 0
    assert "team_new: new team (added in this change): no spend history to replay" in out


def test_a_tombstone_sends_all_its_spend_to_the_organization(tmp_path: Path) -> None:
    org = three_months(tmp_path)
    org.write([team_doc("team_a", "100.00"), team_doc("team_b", "50.00", removed=True)])
    code, out, _err = whatif(org, "--format", "json")
    assert code == 0
    team_b = json.loads(out)["teams"][1]
    assert [p["proposed"]["fell_through"] for p in team_b["periods"]] == ["10.00"] * 3
    assert [p["proposed"]["envelope"] for p in team_b["periods"]] == ["0.00"] * 3
    assert [p["base"]["fell_through"] for p in team_b["periods"]] == ["0.00"] * 3


def test_a_team_deleted_from_the_budgets_is_unmanaged_not_reclaimed(tmp_path: Path) -> None:
    org = three_months(tmp_path)
    org.write(teams(team_a="100.00"))
    code, out, _err = whatif(org)
    assert code == 0
    assert "team_b: not in the budgets: unmanaged, its wallet is left as it is" in out


def test_fewer_periods_of_history_than_asked_are_replayed_with_a_note(tmp_path: Path) -> None:
    org = three_months(tmp_path)
    code, out, err = whatif(org, "--periods", "6")
    assert code == 0
    assert err == (
        "warning: only 4 of the 6 periods have history (the ledger starts 2026-07-20): "
        "replayed 2026-07, 2026-08, 2026-09, 2026-10\n"
    )
    assert out.startswith("What-if for org_acme, periods 2026-07, 2026-08, 2026-09, 2026-10:")


def test_no_completed_period_of_history_is_one_clear_error(tmp_path: Path) -> None:
    org = three_months(tmp_path, months=())
    code, out, err = run(
        ["whatif", str(org.budgets), "--ledger", org.url], datetime(2026, 7, 25, tzinfo=UTC)
    )
    assert (code, out) == (64, "")
    assert err == (
        "error: the ledger has no entries before 2026-07-01: no period to replay yet "
        "(run it after a period with spend has ended, or pass --current)\n"
    )


def test_period_none_is_refused_before_the_ledger_is_read(tmp_path: Path) -> None:
    org = three_months(tmp_path, months=())
    org.write(teams(team_a="100.00"), period="none")
    code, out, err = whatif(org, "--ledger", "sqlite:///does/not/exist.db")
    assert (code, out) == (64, "")
    assert err.startswith("error: period: none has no completed periods to replay")


def test_a_base_that_is_not_a_commit_is_one_clear_error(tmp_path: Path) -> None:
    org = three_months(tmp_path)
    code, out, err = whatif(org, "--base", "no-such-branch")
    assert (code, out) == (1, "")
    assert err.startswith("error: 'no-such-branch' is not a commit in ")
    assert err.count("\n") == 1


def test_a_base_before_the_budgets_directory_existed_is_one_clear_error(tmp_path: Path) -> None:
    org = three_months(tmp_path)
    readme_only = org.repo.git("rev-list", "--max-parents=0", "HEAD")
    code, out, err = whatif(org, "--base", readme_only)
    assert (code, out) == (1, "")
    assert err == (
        f"error: {org.budgets} did not exist at {readme_only} ({readme_only[:7]}): "
        "pass a later --base\n"
    )


def test_replayed_spend_is_usage_spend_attributed_the_same_way(tmp_path: Path) -> None:
    org = three_months(tmp_path)
    org.spend(None, datetime(2026, 10, 22, 9, tzinfo=UTC), "3.00")  # the organization's own
    code, out, _err = whatif(org, "--format", "json")
    code_usage, usage_out, _ = run(
        ["usage", str(org.budgets), "--ledger", org.url, "--period", "2026-10", "--format", "json"],
        NOW,
    )
    assert code == code_usage == 0
    replayed = {
        t["team_id"]: t["periods"][2]["proposed"]["spent"] for t in json.loads(out)["teams"]
    }
    usage = {t["team_id"]: t["spent"] for t in json.loads(usage_out)["teams"]}
    assert replayed == usage == {"team_a": "105.00", "team_b": "10.00"}


def test_the_current_period_is_replayed_up_to_now_when_asked(tmp_path: Path) -> None:
    org = three_months(tmp_path, months=(8, 9, 10, 11))
    org.write(teams(team_a="100.00", team_b="15.00"))
    code, out, err = whatif(org, "--periods", "0", "--current")
    assert (code, err) == (0, "")
    assert out.startswith(
        "What-if for org_acme, periods 2026-11 (to 2026-11-10T00:00:00Z): base → proposed"
    )
    # November so far: only the request of the 5th (the 20th and 21st are after now)
    assert "team_a: would have run out in 0 of 1 periods; at base: 0 of 1." in out


def test_periods_0_without_current_is_a_usage_error(tmp_path: Path) -> None:
    org = three_months(tmp_path, months=(8,))
    code, out, err = whatif(org, "--periods", "0")
    assert (code, out) == (64, "")
    assert err == "error: --periods 0 replays nothing: pass --periods N (N >= 1) or --current\n"


def test_a_credit_made_just_before_the_opening_apply_funds_the_opening(tmp_path: Path) -> None:
    org = Organization(tmp_path, datetime(2026, 10, 1, 0, 1, tzinfo=UTC), credit="200.00")
    org.write(teams(team_a="150.00"), headroom="10.00")
    org.commit(datetime(2026, 9, 20, tzinfo=UTC))
    org.apply(datetime(2026, 10, 1, 0, 5, tzinfo=UTC))
    org.spend("team_a", datetime(2026, 10, 9, 10, tzinfo=UTC), "100.00")
    org.clock.set(datetime(2026, 10, 15, tzinfo=UTC))
    org.ledger.credit(usd("500.00"), note="mid-month top-up")
    code, out, _err = whatif(org, "--periods", "1", "--format", "json")
    assert code == 0
    october = json.loads(out)["periods"][0]["organization"]["proposed"]
    # the 200.00 credited at 00:01 funded the 00:05 apply: the org opens at 50.00, not -150.00;
    # the top-up of the 15th is replayed on the 15th
    assert (october["opening_available"], october["lowest_available"]) == ("50.00", "50.00")
