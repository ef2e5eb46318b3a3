"""plan / show / apply through the real CLI, on a real git repository and sandbox ledger."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler import notes
from reconciler.cli import cli
from reconciler.commands import console
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.workspace import COMMITTED, Workspace

HEADER = "for org_acme, period 2026-11 (2026-11-01 → 2026-12-01, UTC)"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_plan_shows_the_movements_and_detailed_exitcode_says_changes(
    workspace: Workspace,
) -> None:
    result = workspace.invoke("plan", "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Plan ")
    assert lines[0].endswith(HEADER)
    assert (
        lines[1] == f"commit {workspace.repo.head()[:12]}, ledger sqlite:///.reconciler/sandbox.db"
    )
    assert "2 change(s): allocate 1,500.00, reclaim 0.00" in lines
    assert result.stderr == ""
    assert workspace.invoke("plan").exit_code == 0


def _allocation_entries(workspace: Workspace, *team_ids: str) -> dict[str, str]:
    """The id of the one noted entry each team's wallet holds.

    Up to 8 movements are in flight at once, so which entry id each gets is the ledger's order
    of arrival; apply's lines name the entry the ledger holds, and the tests read it from there.
    """
    entry = {}
    with workspace.ledger() as ledger:
        for team_id in team_ids:
            wallet = ledger.team_wallet(team_id)
            assert wallet is not None
            (allocation,) = [t for t in ledger.transactions(wallet.id) if t.note]
            entry[team_id] = allocation.id
    return entry


def test_apply_auto_approve_moves_money_with_the_head_sha_in_every_note(
    workspace: Workspace,
) -> None:
    head = workspace.repo.head()
    result = workspace.invoke("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        f"Applied 2 movements (allocated 1,500.00, reclaimed 0.00) at commit {head[:7]}; "
        "plan is now empty"
    )
    entry = _allocation_entries(workspace, "team_eng", "team_ops")
    assert result.stderr.splitlines() == [
        f"[1/2] applied       allocate 1,200.00 team_eng ({entry['team_eng']})",
        f"[2/2] applied       allocate 300.00 team_ops ({entry['team_ops']})",
    ]
    for team_id in ("team_eng", "team_ops"):
        (text,) = workspace.team_notes(team_id)
        note = notes.parse_note(text)
        assert note is not None
        assert (note.commit, note.team_id, note.period_id, note.dirty) == (
            head,
            team_id,
            "2026-11",
            False,
        )
    again = workspace.invoke("plan", "--detailed-exitcode")
    assert again.exit_code == 0
    assert "No changes. The ledger matches the budgets." in again.stdout
    with workspace.ledger() as ledger:
        assert ledger.check() == []
        team_wallet = ledger.team_wallet("team_eng")
        assert team_wallet is not None
        # the embedded ledger records who moved the money: reconciler, not a person
        assert {t.actor for t in ledger.transactions(team_wallet.id)} == {"reconciler"}


def test_apply_with_nothing_to_do_exits_zero_without_asking(workspace: Workspace) -> None:
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    result = workspace.invoke("apply")
    assert result.exit_code == 0
    assert "No changes. The ledger matches the budgets." in result.stdout


def test_apply_without_a_terminal_refuses_rather_than_hang(workspace: Workspace) -> None:
    before = digest(workspace.db)
    result = workspace.invoke("apply")
    assert result.exit_code == 1
    assert result.stderr == "error: no terminal to confirm on: pass --auto-approve\n"
    assert digest(workspace.db) == before


def test_apply_asks_for_yes_on_a_terminal(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "stdin_is_interactive", lambda: True)
    before = digest(workspace.db)
    declined = workspace.invoke("apply", input="y\n")
    assert declined.exit_code == 1
    assert declined.stderr.endswith("Apply cancelled: nothing was moved.\n")
    assert "Only 'yes' will be accepted." in declined.stderr
    assert digest(workspace.db) == before

    accepted = workspace.invoke("apply", input="yes\n")
    assert accepted.exit_code == 0, accepted.output
    assert accepted.stdout.splitlines()[-1].startswith("Applied 2 movements")


def test_apply_refuses_uncommitted_budgets_unless_allowed(workspace: Workspace) -> None:
    workspace.write_teams(team_eng="1500.00", team_ops="300.00")
    workspace.repo.write("budgets/teams/team_new.yaml", "# not yet\n")
    before = digest(workspace.db)
    result = workspace.invoke("apply", "--auto-approve")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: budgets has uncommitted changes (budgets/teams/team_eng.yaml, "
        "budgets/teams/team_new.yaml): commit them, or pass --allow-dirty to apply anyway "
        "(the ledger notes will say dirty)\n"
    )
    assert digest(workspace.db) == before

    workspace.repo.write("budgets/teams/team_new.yaml", "")
    (workspace.budgets / "teams" / "team_new.yaml").unlink()
    allowed = workspace.invoke("apply", "--auto-approve", "--allow-dirty")
    assert allowed.exit_code == 0, allowed.output
    (text,) = workspace.team_notes("team_eng")
    assert text is not None
    assert text.endswith(" period=2026-11 dirty")
    assert "allocated 1,800.00" in allowed.stdout


def test_apply_refuses_a_repository_without_commits(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    workspace.repo.git("init", "--quiet", str(fresh))
    shutil.copytree(workspace.budgets, fresh / "budgets")
    monkeypatch.chdir(fresh)
    result = workspace.invoke("apply", "--auto-approve", "--ledger", f"sqlite:///{workspace.db}")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: repository {fresh.resolve()} has no commit yet: commit the budgets first\n"
    )


def test_invalid_budgets_never_reach_the_ledger(workspace: Workspace) -> None:
    workspace.write_teams(team_eng="-5.00")
    before = digest(workspace.db)
    for command in (["plan"], ["apply", "--auto-approve", "--allow-dirty"]):
        result = workspace.invoke(*command)
        assert result.exit_code == 1
        assert result.stderr.startswith("error: budgets is invalid: budgets/teams/team_eng.yaml:")
    missing = workspace.repo.root / "nowhere.db"
    result = workspace.invoke("plan", "--ledger", f"sqlite:///{missing}")
    assert result.exit_code == 1
    assert not missing.exists()
    assert digest(workspace.db) == before


def test_plain_http_to_a_remote_host_is_refused(workspace: Workspace) -> None:
    result = workspace.invoke("plan", "--ledger", "http://ledger.example.com")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: refusing plain http:// to ledger.example.com: the token and money movements "
        "would travel unencrypted; use https:// or pass --insecure\n"
    )


@pytest.mark.parametrize(
    "args",
    [["plan", "--format", "yaml"], ["apply", "--no-such-flag"], ["show"]],
)
def test_usage_errors_exit_64(workspace: Workspace, args: list[str]) -> None:
    assert workspace.invoke(*args).exit_code == 64


def test_saved_plan_shows_offline_and_applies(workspace: Workspace) -> None:
    made = workspace.invoke("plan", "--out", "plan.json")
    assert made.exit_code == 0
    assert (
        made.stderr == "Saved the plan to plan.json: apply it with `reconciler apply plan.json`\n"
    )
    shown = workspace.invoke("show", "plan.json")
    assert shown.exit_code == 0
    assert shown.stdout == made.stdout
    as_json = workspace.invoke("show", "plan.json", "--format", "json")
    assert as_json.stdout == (workspace.repo.root / "plan.json").read_text(encoding="utf-8")
    document = json.loads(as_json.stdout)
    assert document["commit"] == workspace.repo.head()

    applied = workspace.invoke("apply", "plan.json", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    (text,) = workspace.team_notes("team_eng")
    note = notes.parse_note(text)
    assert note is not None
    assert note.plan_id == document["plan_id"]


def test_a_saved_plan_is_refused_once_head_moves(workspace: Workspace) -> None:
    workspace.invoke("plan", "--out", "plan.json")
    old = workspace.repo.head()
    workspace.write_teams(team_eng="1300.00", team_ops="300.00")
    new = workspace.repo.commit("raise eng", when=COMMITTED + timedelta(minutes=1))
    result = workspace.invoke("apply", "plan.json", "--auto-approve")
    assert result.exit_code == 1
    plan_id = json.loads((workspace.repo.root / "plan.json").read_text())["plan_id"]
    assert result.stderr == (
        f"error: plan {plan_id} was made at commit {old[:7]} but HEAD is now {new[:7]}: "
        "run `reconciler plan` again\n"
    )
    assert workspace.team_notes("team_eng") == []


def test_a_saved_plan_is_refused_in_the_next_period(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.invoke("plan", "--out", "plan.json")
    monkeypatch.setenv("RECONCILER_NOW", "2026-12-01T00:00:00Z")
    result = workspace.invoke("apply", "plan.json", "--auto-approve")
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "is for period 2026-11, which ended 2026-12-01: run `reconciler plan` again\n"
    )


def test_a_saved_plan_is_refused_after_a_console_allocation(workspace: Workspace) -> None:
    workspace.invoke("plan", "--out", "plan.json")
    with workspace.ledger() as ledger:
        ledger.allocate("team_ops", 5_000_000, note="console", actor="carol")
    result = workspace.invoke("apply", "plan.json", "--auto-approve")
    assert result.exit_code == 1
    assert "team_ops's allocation flows changed since the plan (0 flow(s) then, 1 now;" in (
        result.stderr
    )


def test_guards_are_enforced_and_the_override_reason_lands_in_the_notes(
    workspace: Workspace,
) -> None:
    workspace.write_teams(team_eng="4900.00", team_ops="300.00")
    workspace.repo.commit("big raise", when=COMMITTED + timedelta(minutes=2))
    refused = workspace.invoke("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "error: plan moves 5,200.00 credits, over guard max_movement_per_apply 5,000.00: "
        'review the plan, then re-run with --override-guards "reason"\n'
    )
    result = workspace.invoke("apply", "--auto-approve", "--override-guards", "Q4 launch")
    assert result.exit_code == 0, result.output
    (text,) = workspace.team_notes("team_eng")
    assert text is not None
    assert text.endswith(' override="Q4 launch"')
    assert workspace.invoke("plan", "--out", "plan.json").exit_code == 0
    with_file = workspace.invoke("apply", "plan.json", "--override-guards", "x")
    assert with_file.exit_code == 64
    plan_id = json.loads(Path("plan.json").read_text(encoding="utf-8"))["plan_id"]
    assert with_file.stderr == (
        f"error: plan {plan_id} was made without --override-guards: apply it without one "
        "(make a new plan with the reason if a guard must be passed)\n"
    )


def test_plan_works_before_the_first_commit_and_says_apply_will_not(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    workspace.repo.git("init", "--quiet", str(fresh))
    shutil.copytree(workspace.budgets, fresh / "budgets")
    monkeypatch.chdir(fresh)
    result = workspace.invoke("plan", "--ledger", f"sqlite:///{workspace.db}")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"warning: repository {fresh.resolve()} has no commit yet: commit the budgets first "
        "(this plan uses commit 0000000)\n"
    )
    assert result.stdout.splitlines()[1].startswith("commit 000000000000 (dirty), ledger ")


def test_routing_changes_are_shown_against_the_last_applied_commit_or_base(
    workspace: Workspace,
) -> None:
    first = workspace.invoke("plan")
    assert "Routing changes (consumer group → team wallet; no money moves):" in first.stdout
    assert "  team_eng  (none) → team_eng" in first.stdout.splitlines()
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    applied = workspace.repo.head()
    assert "Routing changes" not in workspace.invoke("plan").stdout

    gateway = workspace.budgets / "gateway.yaml"
    gateway.write_text(
        gateway.read_text(encoding="utf-8").replace(
            "wallet_team_id: team_ops", "wallet_team_id: team_eng"
        ),
        encoding="utf-8",
    )
    workspace.repo.commit(
        "route ops traffic to the eng wallet", when=COMMITTED + timedelta(minutes=3)
    )
    result = workspace.invoke("plan", "--detailed-exitcode")
    assert result.exit_code == 0  # routing moves no money
    assert "  team_ops  team_ops → team_eng" in result.stdout.splitlines()
    assert "Routing changes" not in workspace.invoke("plan", "--base", "HEAD").stdout
    against = workspace.invoke("plan", "--base", applied)
    assert "  team_ops  team_ops → team_eng" in against.stdout.splitlines()
    bad = workspace.invoke("plan", "--base", "no-such-rev")
    assert bad.exit_code == 1
    assert bad.stderr.splitlines() == [
        "warning: budgets/teams/team_ops.yaml:4:5: teams[team_ops].id: no consumer group maps to "
        "this team, so gateway traffic never draws on its wallet; add one to the GatewayConfig's "
        "consumer_groups",
        f"error: 'no-such-rev' is not a commit in {workspace.repo.root.resolve()}: "
        "fetch it (CI: fetch-depth: 0)",
    ]


def test_show_refuses_a_file_that_is_not_a_plan(workspace: Workspace) -> None:
    (workspace.repo.root / "notes.json").write_text('{"format_version": 1}', encoding="utf-8")
    result = workspace.invoke("show", "notes.json")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: notes.json")
    missing = workspace.invoke("show", "nope.json")
    assert missing.exit_code == 64
    assert missing.stderr.startswith("error: cannot read the plan file nope.json: ")


def test_drift_warnings_reach_stderr_when_stdout_is_not_a_terminal(workspace: Workspace) -> None:
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    with workspace.ledger() as ledger:
        ledger.allocate("team_ops", 7_000_000, note="console top-up", actor="dave")
    result = workspace.invoke("plan")
    assert result.exit_code == 0
    assert result.stderr == (
        "warning: team_ops: 1 allocation flow(s) made outside reconciler (net +7.00) left in "
        "place (drift: warn)\n"
    )


def test_a_ledger_of_another_organization_is_refused(workspace: Workspace) -> None:
    other = workspace.repo.root / ".reconciler" / "other.db"
    SqliteLedger.create(other, "org_other").close()
    for command in (["plan"], ["apply", "--auto-approve"]):
        result = workspace.invoke(*command, "--ledger", "sqlite:///.reconciler/other.db")
        assert result.exit_code == 1
        assert result.stderr == (
            "error: the ledger is organization org_other's, but the budgets are for org_acme: "
            "check --ledger / KEEPTRUSTS_API_URL (and the token)\n"
        )
    with SqliteLedger(other) as ledger:
        assert ledger.team_wallet("team_eng") is None


@pytest.mark.parametrize("command", ["plan", "show", "apply"])
def test_every_help_has_an_example_and_the_exit_codes(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "\nExample:\n" in result.stdout.replace("  Example:", "Example:")
    assert f"  reconciler {command} " in result.stdout
    assert "\nExit codes:\n" in result.stdout.replace("  Exit codes:", "Exit codes:")
    partial = "3   partial apply: some movements made, some failed; re-run to resume"
    assert (partial in result.stdout) == (command != "show")  # show never applies
    assert "RECONCILER_NOW" not in result.stdout


def test_applying_a_missing_plan_file_is_a_usage_error(workspace: Workspace) -> None:
    result = workspace.invoke("apply", "nope.json")
    assert result.exit_code == 64
    assert result.stderr == (
        "error: no such plan file: nope.json (make one with `reconciler plan --out`)\n"
    )


def test_ledger_precedence_flag_then_environment_then_organization(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    SqliteLedger.create(workspace.repo.root / "other.db", "org_other").close()
    monkeypatch.setenv("KEEPTRUSTS_API_URL", "sqlite:///other.db")
    from_env = workspace.invoke("plan")
    assert from_env.exit_code == 1
    assert "the ledger is organization org_other's" in from_env.stderr
    from_flag = workspace.invoke("plan", "--ledger", "sqlite:///.reconciler/sandbox.db")
    assert from_flag.exit_code == 0
    assert "ledger sqlite:///.reconciler/sandbox.db" in from_flag.stdout
    monkeypatch.delenv("KEEPTRUSTS_API_URL")
    monkeypatch.chdir(workspace.budgets)  # the Organization's URL is relative to the repo root
    from_org = workspace.invoke("plan", ".")
    assert from_org.exit_code == 0, from_org.output


def test_a_saved_plan_needs_the_budgets_of_its_organization(workspace: Workspace) -> None:
    assert workspace.invoke("plan", "--out", "plan.json").exit_code == 0
    other = workspace.repo.root / "other"
    shutil.copytree(workspace.budgets, other)
    org = other / "organization.yaml"
    org.write_text(org.read_text(encoding="utf-8").replace("org_acme", "org_beta"), "utf-8")
    workspace.repo.git("add", "other")
    plan_id = json.loads((workspace.repo.root / "plan.json").read_text())["plan_id"]
    result = workspace.invoke("apply", "plan.json", "--budgets", "other", "--allow-dirty")
    assert result.exit_code == 64
    assert result.stderr == (
        f"error: plan {plan_id} is for org_acme but other is org_beta's budgets: pass the "
        "budgets directory the plan was made from with --budgets DIR\n"
    )


def test_apply_shows_a_progress_bar_when_stderr_is_a_terminal(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "stderr_is_interactive", lambda: True)
    result = workspace.invoke("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    entry = _allocation_entries(workspace, "team_eng")
    assert f"applied       allocate 1,200.00 team_eng ({entry['team_eng']})" in result.stderr
    assert "applying" in result.stderr
    assert "2/2" in result.stderr
    assert "[1/2]" not in result.stderr
