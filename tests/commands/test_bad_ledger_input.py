"""Bad ledger URLs and a bad RECONCILER_NOW: one line naming the fix, exit 1, never a crash."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.history import History
from reconciler.planning import planner
from reconciler.render.plan import render_text
from tests.planning.scenarios import SCENARIOS
from tests.support.planning import COMMIT, NOW
from tests.support.workspace import Workspace

EXAMPLE = "e.g. https://api.example.com or http://127.0.0.1:8080"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "http://127.0.0.1:abc",
            "ledger URL 'http://127.0.0.1:abc' (--ledger) has a port that is not a number from "
            f"0 to 65535; {EXAMPLE}",
        ),
        (
            "http://[::1",
            f"ledger URL 'http://[::1' (--ledger) is not a valid URL (Invalid IPv6 URL); {EXAMPLE}",
        ),
        (
            "https://",
            "ledger URL 'https://' (--ledger) names no host; e.g. https://api.example.com",
        ),
        (
            "http://user:SECRET@127.0.0.1:9/",
            "ledger URL 'http://***@127.0.0.1:9/' (--ledger) carries credentials; remove them "
            "and put the token in KEEPTRUSTS_API_TOKEN",
        ),
        (
            "https://SECRET@keeptrusts.example/",
            "ledger URL 'https://***@keeptrusts.example/' (--ledger) carries credentials; remove "
            "them and put the token in KEEPTRUSTS_API_TOKEN",
        ),
    ],
)
@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_bad_ledger_url_is_one_line_and_exit_1(
    workspace: Workspace, command: str, url: str, message: str
) -> None:
    result = workspace.invoke(command, "budgets", "--ledger", url)
    assert (result.exit_code, result.stderr) == (1, f"error: {message}\n")
    assert "SECRET" not in result.output


def test_credentials_in_keeptrusts_api_url_are_refused_without_echo(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEEPTRUSTS_API_URL", "https://bot:SECRET@keeptrusts.example")
    result = workspace.invoke("plan", "budgets")
    assert (result.exit_code, result.stderr) == (
        1,
        "error: ledger URL 'https://***@keeptrusts.example' (KEEPTRUSTS_API_URL) carries "
        "credentials; remove them and put the token in KEEPTRUSTS_API_TOKEN\n",
    )


def test_the_plan_header_never_shows_userinfo() -> None:
    s = SCENARIOS["no_changes"]()
    plan = planner.plan(
        s.desired,
        s.observed,
        History(commit=COMMIT, dirty=False, managed_since=s.managed_since),
        now=NOW,
    )
    text = render_text(replace(plan, ledger="https://bot:SECRET@keeptrusts.example/"), color=False)
    assert ", ledger https://***@keeptrusts.example/" in text
    assert "SECRET" not in text


@pytest.mark.parametrize(
    "instant",
    [
        "9999-12-31T23:59:59Z",
        "9999-01-01T00:00:00Z",
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:00:00+01:00",
        "1969-12-31T23:59:59Z",
    ],
)
def test_a_reconciler_now_out_of_range_is_refused(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, instant: str
) -> None:
    monkeypatch.setenv("RECONCILER_NOW", instant)
    result = workspace.invoke("plan", "budgets")
    assert (result.exit_code, result.stderr) == (
        64,
        f"error: RECONCILER_NOW={instant!r} is out of range: use a UTC time from "
        "1970-01-01T00:00:00Z to 9998-12-31T23:59:59Z\n",
    )


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_missing_budgets_directory_is_one_plain_line(workspace: Workspace, command: str) -> None:
    result = workspace.invoke(command, "nosuchdir")
    assert (result.exit_code, result.stderr) == (
        1,
        "error: nosuchdir: no such directory; pass the budgets directory (default: ./budgets)\n",
    )
