"""audit, blame and drift read the sandbox HTTP server exactly as they read the embedded ledger."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.audit.conftest import NOW_AT, Workspace
from tests.support.clocks import TickingClock
from tests.support.planning import m
from tests.support.sandbox_server import READ_TOKEN, running_server


def test_same_report_over_http_with_a_read_only_token(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    workspace.clock = TickingClock(NOW_AT + timedelta(hours=1))
    with workspace.ledger() as ledger:
        ledger.allocate("team_eng", m(50), note="top-up", actor="console")
    embedded = {
        cmd[0]: workspace.invoke(*cmd).output
        for cmd in (
            ("audit", "--format", "json"),
            ("blame", "team_eng", "--format", "json"),
            ("drift", "--format", "json"),
        )
    }
    monkeypatch.setenv("KEEPTRUSTS_API_TOKEN", READ_TOKEN)
    with running_server(workspace.db, clock=workspace.clock) as url:
        remote = {
            cmd[0]: workspace.invoke(*cmd, "--ledger", url)
            for cmd in (
                ("audit", "--format", "json"),
                ("blame", "team_eng", "--format", "json"),
                ("drift", "--format", "json"),
            )
        }
    for name, result in remote.items():
        assert result.exit_code == 0, (name, result.output)
        assert json.loads(result.output) == json.loads(embedded[name]), name
    classes = [r["class"] for r in json.loads(embedded["audit"])["movements"]]
    assert classes == ["reconciler", "reconciler", "out_of_band"]
