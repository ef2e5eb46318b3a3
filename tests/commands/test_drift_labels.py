"""A drift correction already applied is labelled as such in later plans (QA-B #3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from reconciler.sandbox.ledger import SqliteLedger
from tests.support.budgets import organization_doc, team_doc, write_budgets
from tests.support.planning import m
from tests.support.workspace import COMMITTED, LEDGER_URL, Workspace


def test_a_reversed_drift_stays_listed_as_corrected(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_budgets(
        workspace.budgets,
        organization=organization_doc(
            "org_acme",
            headroom="1000.00",
            ledger=LEDGER_URL,
            guards={"max_movement_per_apply": Decimal("5000.00")},
        ),
        teams=[team_doc("team_eng", "1200.00", drift="correct"), team_doc("team_ops", "300.00")],
    )
    workspace.repo.commit("eng corrects drift", when=COMMITTED + timedelta(minutes=1))
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    with SqliteLedger(
        workspace.db, clock=lambda: datetime(2026, 11, 15, 12, 30, tzinfo=UTC), actor="console"
    ) as ledger:
        ledger.allocate("team_eng", m(750), note="console: top-up")
    monkeypatch.setenv("RECONCILER_NOW", "2026-11-15T13:00:00Z")

    first = workspace.invoke("plan")
    assert "  +750.00  console  reversed by this plan  console: top-up" in first.stdout
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0

    again = workspace.invoke("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes. The ledger matches the budgets." in again.stdout
    assert (
        "  +750.00  console  corrected (reversal already in the ledger)  console: top-up"
        in again.stdout
    )
    assert "reversed by this plan" not in again.stdout
    doc = json.loads(workspace.invoke("plan", "--format", "json").stdout)
    assert [(d["policy"], d["status"]) for d in doc["drift"]] == [("correct", "corrected")]
    markdown = workspace.invoke("plan", "--format", "markdown").stdout
    assert "(corrected (reversal already in the ledger))" in markdown
    assert "reversed by this plan" not in markdown
