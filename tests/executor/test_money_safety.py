"""Regression tests for the ways an apply could move money it should not (DESIGN §4.4, §5, §6, §8).

Each case asserts on the ledger itself (every allocation entry per team), not only on balances:
a doubled movement that a later run reclaims would still fail here.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from reconciler import executor
from reconciler.executor import StepStatus
from reconciler.ledger.base import EntryType
from reconciler.render.apply import result_document
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.budgets import organization_doc, team_doc, write_budgets
from tests.support.executing import Clock, make_plan, sandbox
from tests.support.planning import desired, m, organization, team
from tests.support.workspace import COMMITTED, LEDGER_URL, Workspace


def allocation_entries(ledger: SqliteLedger, team_id: str) -> list[tuple[str, int]]:
    wallet = ledger.team_wallet(team_id)
    if wallet is None:
        return []
    return [
        (e.type.value, e.amount)
        for e in ledger.transactions(wallet.id)
        if e.type in {EntryType.ALLOCATION_IN, EntryType.ALLOCATION_OUT}
    ]


def spend(workspace: Workspace, team_id: str, amount: int) -> None:
    with workspace.ledger() as ledger:
        hold = ledger.reserve(f"req-{team_id}-{amount}", amount, team_id=team_id)
        ledger.settle(hold.reservation_id, amount)


def test_a_rerun_derives_the_op_key_of_a_movement_an_interrupted_run_left_in_flight(
    tmp_path: Path,
) -> None:
    clock = Clock()
    ledger = sandbox(tmp_path / "l.db", clock)
    state = desired(organization(), team("team_a", 100), team("team_b", 200))
    first = make_plan(state, ledger, clock)
    # the first run made team_a's movement, then died while team_b's was in flight
    executor.apply(replace(first, changes=first.changes[:1]), ledger, clock=clock)
    rerun = make_plan(state, ledger, clock)
    assert first.plan_id != rerun.plan_id
    assert [c.team_id for c in rerun.changes] == ["team_b"]
    # same team state, same commit: the same op key, so the ledger's idempotency replay answers
    # the rerun's write with the in-flight one instead of making it twice
    assert rerun.changes[0].op_key == first.changes[1].op_key


def test_drift_left_in_place_is_never_reclaimed_when_the_team_is_in_deficit(
    workspace: Workspace,
) -> None:
    workspace.write_teams(team_eng="1000.00", team_ops="300.00")
    workspace.repo.commit("eng 1000", when=COMMITTED + timedelta(minutes=1))
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    spend(workspace, "team_eng", m(900))
    workspace.write_teams(team_eng="50.00", team_ops="300.00")
    workspace.repo.commit("eng 50", when=COMMITTED + timedelta(minutes=2))
    lowered = workspace.invoke("apply", "--auto-approve")
    assert lowered.exit_code == 0, lowered.output
    with workspace.ledger() as ledger:
        ledger.allocate("team_eng", m(300), note="console top-up", actor="carol")

    plan = workspace.invoke("plan", "--format", "json", "--detailed-exitcode")
    document = json.loads(plan.stdout)
    assert plan.exit_code == 0, plan.output  # nothing to move: the 300.00 is left in place
    assert document["changes"] == []
    assert [(d["team_id"], d["amount"]) for d in document["deficits"]] == [("team_eng", "850.00")]
    assert "300.00 is drift left in place (drift: warn)" in document["deficits"][0]["reason"]
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    with workspace.ledger() as ledger:
        assert allocation_entries(ledger, "team_eng") == [
            ("allocation_in", m(1000)),
            ("allocation_out", -m(100)),
            ("allocation_in", m(300)),
        ]
        assert ledger.check() == []


def test_drift_is_kept_when_spend_lowers_what_a_saved_plan_would_reclaim(
    workspace: Workspace,
) -> None:
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    with workspace.ledger() as ledger:
        ledger.allocate("team_eng", m(300), note="console top-up", actor="carol")
    workspace.write_teams(team_eng="1000.00", team_ops="300.00")
    workspace.repo.commit("eng 1000", when=COMMITTED + timedelta(minutes=1))
    assert workspace.invoke("plan", "--out", "plan.json").exit_code == 0
    saved = json.loads(Path("plan.json").read_text(encoding="utf-8"))
    assert [(c["action"], c["amount"], c["drift_kept"]) for c in saved["changes"]] == [
        ("reclaim", "200.00", "300.00")
    ]
    spend(workspace, "team_eng", m(1100))  # available 1,500.00 -> 400.00
    applied = workspace.invoke("apply", "plan.json", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    with workspace.ledger() as ledger:
        # the reclaim was re-clamped to available 400.00 minus the 300.00 drift kept in place
        assert sorted(allocation_entries(ledger, "team_eng")) == [
            ("allocation_in", m(300)),
            ("allocation_in", m(1200)),
            ("allocation_out", -m(100)),
        ]
        assert ledger.team_wallet("team_eng").available == m(300)  # type: ignore[union-attr]


def test_a_saved_plan_is_refused_against_another_ledger_naming_both(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = workspace.repo.root / "other.db"
    with SqliteLedger.create(other, "org_acme", clock=workspace.clock) as ledger:
        ledger.credit(m(10_000), note="initial credit")
    assert workspace.invoke("plan", "--out", "plan.json").exit_code == 0
    plan_id = json.loads(Path("plan.json").read_text(encoding="utf-8"))["plan_id"]
    monkeypatch.setenv("KEEPTRUSTS_API_URL", "sqlite:///other.db")
    result = workspace.invoke("apply", "plan.json", "--auto-approve")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: plan {plan_id} was made against the ledger {LEDGER_URL}, but "
        "KEEPTRUSTS_API_URL names sqlite:///other.db: apply it to its own ledger, or make a new "
        "plan against this one\n"
    )
    flag = workspace.invoke("apply", "plan.json", "--auto-approve", "--ledger", "sqlite:///x.db")
    assert flag.exit_code == 1
    assert "but --ledger names sqlite:///x.db" in flag.stderr
    with SqliteLedger(other, clock=workspace.clock) as ledger:
        assert allocation_entries(ledger, "team_eng") == []
    assert workspace.team_notes("team_eng") == []


def test_a_shallow_clone_is_refused_before_any_ledger_is_read(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.write_teams(team_eng="1300.00", team_ops="300.00")
    workspace.repo.commit("eng 1300", when=COMMITTED + timedelta(minutes=1))
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", f"file://{workspace.repo.root}", str(shallow)],
        check=True,
        capture_output=True,
    )
    monkeypatch.chdir(shallow)
    ledger = f"sqlite:///{workspace.db}"
    for command in (["plan"], ["apply", "--auto-approve"]):
        result = workspace.invoke(*command, "--ledger", ledger)
        assert result.exit_code == 1
        assert result.stderr == (
            f"error: {shallow.resolve()} is a shallow clone: reconciler needs the full history "
            "to tell its own movements from drift; run `git fetch --unshallow` (CI: "
            "actions/checkout with fetch-depth: 0)\n"
        )
    assert workspace.team_notes("team_eng") == []


def test_a_result_path_that_cannot_be_written_is_refused_before_anything_moves(
    workspace: Workspace, tmp_path: Path
) -> None:
    missing = tmp_path / "no" / "such" / "r.json"
    result = workspace.invoke("apply", "--auto-approve", "--result", str(missing))
    assert result.exit_code == 64
    assert result.stderr == (
        f"error: --result {missing}: no such directory {missing.parent}: create it first\n"
    )
    assert workspace.team_notes("team_eng") == []


def test_an_override_reason_that_cannot_fit_a_note_is_refused_before_anything_moves(
    workspace: Workspace,
) -> None:
    workspace.write_teams(team_eng="4900.00", team_ops="300.00")
    workspace.repo.commit("big raise", when=COMMITTED + timedelta(minutes=1))
    result = workspace.invoke("apply", "--auto-approve", "--override-guards", "x" * 53)
    assert result.exit_code == 64
    assert result.stderr == (
        "error: --override-guards reason is 53 characters; at most 52 fit in a ledger note: "
        "shorten it (link a ticket for detail)\n"
    )
    assert workspace.team_notes("team_eng") == []
    fits = workspace.invoke("apply", "--auto-approve", "--override-guards", "x" * 52)
    assert fits.exit_code == 0, fits.output


def test_a_team_id_too_long_for_a_note_is_refused_by_validation(workspace: Workspace) -> None:
    long_id = "team_" + "x" * 60
    write_budgets(
        workspace.budgets,
        organization=organization_doc("org_acme", headroom="1000.00", ledger=LEDGER_URL),
        teams=[team_doc(long_id, "10.00")],
    )
    result = workspace.invoke("validate")
    assert result.exit_code == 1
    assert "at most 64 characters" in result.stdout + result.stderr


def test_ctrl_c_while_a_write_is_in_flight_records_it_as_unknown(tmp_path: Path) -> None:
    clock = Clock()
    ledger = sandbox(tmp_path / "l.db", clock)
    state = desired(organization(), team("team_a", 100), team("team_b", 200))
    plan = make_plan(state, ledger, clock)

    class InterruptedOnTeamB:
        def __getattr__(self, name: str) -> object:
            return getattr(ledger, name)

        def allocate(self, team_id: str, amount: int, **kwargs: object) -> object:
            if team_id == "team_b":
                raise KeyboardInterrupt
            return ledger.allocate(team_id, amount, **kwargs)  # type: ignore[arg-type]

    # one at a time: team_a's write is made before team_b's is interrupted
    result = executor.apply(
        plan,
        InterruptedOnTeamB(),  # type: ignore[arg-type]
        clock=clock,
        concurrency=1,
    )
    assert result.interrupted
    assert [s.status for s in result.steps] == [StepStatus.APPLIED, StepStatus.UNKNOWN]
    assert "may still land" in result.steps[1].detail
    assert result_document(result)["interrupted"] is True


def test_a_budgets_file_given_as_a_plan_says_what_to_pass(workspace: Workspace) -> None:
    result = workspace.invoke("apply", "budgets/organization.yaml", "--auto-approve")
    assert result.exit_code == 64
    assert result.stderr == (
        "error: budgets/organization.yaml is a budgets file, not a plan: pass the budgets "
        "directory (reconciler apply budgets) or a plan file made with `reconciler plan --out`\n"
    )


def test_a_plan_file_that_is_not_utf8_is_refused_like_any_malformed_plan(
    workspace: Workspace,
) -> None:
    Path("plan.json").write_bytes(b'{"format_version": 1, "plan_id": "\xff"}')
    result = workspace.invoke("apply", "plan.json", "--auto-approve")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: plan.json is not a plan document: it is not UTF-8 text (byte 34); make the plan "
        "again with `reconciler plan --out`\n"
    )
