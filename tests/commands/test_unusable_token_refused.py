"""QA-a #1: a token that cannot be a header value is refused before any request, unechoed."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reconciler.errors import LedgerConfigError, LedgerUnavailable
from reconciler.ledger.http import HttpLedger
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.clocks import TickingClock
from tests.support.sandbox_server import running_server
from tests.support.workspace import NOW_AT, Workspace

SECRET = "MySecretToken123"
CONTROL = (
    "error: KEEPTRUSTS_API_TOKEN contains a control character: tokens are printable ASCII; "
    "check how it was set (a trailing newline or carriage return from a file?); it was not sent"
)
NON_ASCII = CONTROL.replace("a control character", "a non-ASCII character")


@pytest.mark.parametrize(
    ("token", "expected"),
    [(SECRET + "\r", CONTROL), (SECRET + "\n", CONTROL), ("t\u00f6kenSECRET", NON_ASCII)],
)
@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve")])
def test_a_bad_token_is_one_line_exit_1_and_never_shown(
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    token: str,
    expected: str,
    command: tuple[str, ...],
) -> None:
    monkeypatch.setenv("KEEPTRUSTS_API_TOKEN", token)
    with running_server(workspace.db, clock=workspace.clock) as url:
        result = workspace.invoke(*command, "--ledger", url)
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [expected]
    assert SECRET not in result.output
    assert "kenSECRET" not in result.output
    assert workspace.team_notes("team_eng") == []


def test_the_client_refuses_the_token_before_it_exists() -> None:
    # Port 9 (discard) on loopback: were a request made, it would fail differently.
    with pytest.raises(LedgerConfigError) as info:
        HttpLedger.from_url("http://127.0.0.1:9", token=f"{SECRET}\x00", token_name="MY_TOKEN")
    assert str(info.value).startswith("MY_TOKEN contains a control character: ")
    assert SECRET not in str(info.value)


def test_a_protocol_error_never_carries_a_header_value(tmp_path: Path) -> None:
    # A header h11 refuses to send: the error text would hold its value; the message must not.
    SqliteLedger.create(tmp_path / "s.db", "org_acme", clock=TickingClock(NOW_AT)).close()
    with running_server(tmp_path / "s.db", clock=TickingClock(NOW_AT)) as url:
        client = httpx.Client(base_url=url, headers={"X-Probe": f"{SECRET}\r"})
        ledger = HttpLedger(client, read_attempts=2, sleep=lambda _seconds: None)
        with pytest.raises(LedgerUnavailable) as info:
            ledger.list_wallets()
        ledger.close()
    assert str(info.value) == (
        f"GET /v1/wallets on the ledger at {url} failed 2 times "
        "(last: LocalProtocolError); check that the service is up and retry later"
    )
