"""apply through the CLI against the real sandbox server: partial apply (exit 3) and resume."""

from __future__ import annotations

import json

import pytest

from reconciler.executor import CONCURRENCY_ENV
from tests.support.sandbox_server import BILLING_TOKEN, READ_TOKEN, running_server
from tests.support.workspace import COMMITTED, Workspace


@pytest.fixture
def remote(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("KEEPTRUSTS_API_TOKEN", BILLING_TOKEN)
    # one movement at a time: these scenarios count the writes a fault reaches in order
    monkeypatch.setenv(CONCURRENCY_ENV, "1")
    workspace.write_teams(team_eng="1200.00", team_ops="300.00", team_qa="100.00")
    workspace.repo.commit("add qa", when=COMMITTED)
    return workspace


def test_partial_apply_exits_3_and_rerunning_resumes_without_doubling(remote: Workspace) -> None:
    result_file = remote.db.parent / "apply-result.json"
    with running_server(remote.db, faults="allocate:503@2+", clock=remote.clock) as url:
        first = remote.invoke(
            "apply", "--auto-approve", "--ledger", url, "--result", str(result_file)
        )
    assert first.exit_code == 3, first.output
    document = json.loads(result_file.read_text(encoding="utf-8"))
    assert document["complete"] is False
    assert [(s["team_id"], s["status"]) for s in document["steps"]] == [
        ("team_eng", "applied"),
        ("team_ops", "unknown"),
        ("team_qa", "not_attempted"),
    ]
    last = first.stderr.splitlines()[-1]
    assert last.startswith(
        "error: applied 1 of 3 movements, 1 with an unknown outcome, 1 not made: allocate "
        "300.00 to team_ops failed 4 times, and op "
    )
    assert last.endswith("): a write may still land; re-run apply to resume")
    assert [len(remote.team_notes(t)) for t in ("team_eng", "team_ops", "team_qa")] == [1, 0, 0]

    with running_server(remote.db, clock=remote.clock) as url:
        second = remote.invoke("apply", "--auto-approve", "--ledger", url)
        assert second.exit_code == 0, second.output
        assert second.stdout.splitlines()[-1] == (
            f"Applied 2 movements (allocated 400.00, reclaimed 0.00) at commit "
            f"{remote.repo.head()[:7]}; plan is now empty"
        )
        third = remote.invoke("plan", "--ledger", url, "--detailed-exitcode")
        assert third.exit_code == 0
    assert [len(remote.team_notes(t)) for t in ("team_eng", "team_ops", "team_qa")] == [1, 1, 1]
    with remote.ledger() as ledger:
        assert ledger.check() == []


def test_a_run_whose_first_write_has_an_unknown_outcome_exits_3_never_nothing_moved(
    remote: Workspace,
) -> None:
    result_file = remote.db.parent / "apply-result.json"
    with running_server(remote.db, faults="allocate:503@1+", clock=remote.clock) as url:
        result = remote.invoke(
            "apply", "--auto-approve", "--ledger", url, "--result", str(result_file)
        )
    assert result.exit_code == 3
    assert result.stderr.splitlines()[-1].startswith(
        "error: applied 0 of 3 movements, 1 with an unknown outcome, 2 not made: allocate "
        "1,200.00 to team_eng failed 4 times"
    )
    summary = json.loads(result_file.read_text(encoding="utf-8"))["summary"]
    assert (summary["applied"], summary["unknown"], summary["not_attempted"]) == (0, 1, 2)


def test_a_run_the_ledger_refuses_moves_nothing_and_exits_1(
    remote: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEEPTRUSTS_API_TOKEN", READ_TOKEN)  # reads work, writes get 403
    with running_server(remote.db, clock=remote.clock) as url:
        result = remote.invoke("apply", "--auto-approve", "--ledger", url)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(
        "error: nothing was moved (3 movement(s) not made): "
    )
    assert [len(remote.team_notes(t)) for t in ("team_eng", "team_ops", "team_qa")] == [0, 0, 0]


def test_a_lost_response_through_the_cli_is_found_not_repeated(remote: Workspace) -> None:
    with running_server(remote.db, faults="allocate:lose@1", clock=remote.clock) as url:
        result = remote.invoke("apply", "--auto-approve", "--ledger", url)
    assert result.exit_code == 0, result.output
    assert [len(remote.team_notes(t)) for t in ("team_eng", "team_ops", "team_qa")] == [1, 1, 1]
