"""HttpLedger specifics: the token never leaks, concurrency through HTTP, concurrent observe."""

from __future__ import annotations

import logging
import ssl
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from reconciler.errors import AmbiguousWrite, LedgerAuthError, LedgerError, LedgerUnavailable
from reconciler.ledger.http import HttpLedger
from reconciler.periods import PeriodKind, period_at
from reconciler.sandbox.faults import FaultPlan
from reconciler.sandbox.ledger import SqliteLedger
from reconciler.sandbox.server import create_app
from tests.support.backends import FakeClock
from tests.support.sandbox_server import BILLING_TOKEN, READ_TOKEN, running_server, serving

SECRET = "kt_live_s3cr3t-token-value"


def _chain(exc: BaseException | None) -> str:
    parts = []
    while exc is not None:
        parts += [str(exc), repr(exc)]
        exc = exc.__cause__ or exc.__context__
    return "\n".join(parts)


def test_the_token_is_never_logged_nor_in_errors(
    sandbox: SqliteLedger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox.credit(1_000_000)
    plan = FaultPlan.parse("allocate:lose@1")
    app = create_app(sandbox, token=SECRET, read_token=None, faults=plan)
    failures: list[LedgerError] = []
    with serving(app) as url:
        good = HttpLedger.from_url(url, token=SECRET, timeout=5)
        assert good.organization_wallet().balance == 1_000_000
        with pytest.raises(AmbiguousWrite) as lost:
            good.allocate("team_a", 1, note="")
        failures.append(lost.value)
        bad = HttpLedger.from_url(url, token=SECRET + "x", timeout=5)
        with pytest.raises(LedgerAuthError) as refused:
            bad.list_wallets()
        assert str(refused.value) == (
            "GET /v1/wallets: the ledger refused the credentials (401): unknown bearer token; "
            "set KEEPTRUSTS_API_TOKEN to an org member's token"
        )
        failures.append(refused.value)
        good.close()
        bad.close()
    gone = HttpLedger.from_url(url, token=SECRET, timeout=1)
    gone._sleep = lambda _seconds: None  # the server is down: no need to wait between tries
    with pytest.raises(LedgerUnavailable) as down:
        gone.list_wallets()
    failures.append(down.value)
    gone.close()
    assert any("HTTP Request: GET" in r.getMessage() for r in caplog.records)  # httpx logged
    assert SECRET not in caplog.text
    for failure in failures:
        assert SECRET not in _chain(failure)


def test_concurrent_movements_through_http_keep_the_ledger_sound(
    server_url: str, sandbox: SqliteLedger
) -> None:
    sandbox.credit(1_000_000_000)
    ledger = HttpLedger.from_url(server_url, token=BILLING_TOKEN, timeout=30)
    teams = [f"team_{n}" for n in range(4)]

    def churn(worker: int) -> None:
        team = teams[worker % len(teams)]
        for step in range(10):
            ledger.allocate(team, 3_000_000, note=f"w{worker} s{step}")
            ledger.reclaim(team, 1_000_000, note=f"w{worker} s{step}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(churn, range(8)))
    assert sandbox.check() == []
    balances = {w.owner_id: w.balance for w in ledger.list_wallets()}
    assert balances == {
        "org_acme": 1_000_000_000 - 8 * 10 * 2_000_000,
        **{team: 2 * 10 * 2_000_000 for team in teams},
    }
    seen = ledger.observe(teams, period_at(PeriodKind.MONTHLY, FakeClock().now))
    assert {t: len(o.flows) for t, o in seen.items()} == dict.fromkeys(teams, 40)
    assert seen == sandbox.observe(teams, period_at(PeriodKind.MONTHLY, FakeClock().now))
    ledger.close()


def test_running_server_support_serves_a_database_with_faults(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    clock = FakeClock()
    SqliteLedger.create(db, "org_acme", clock=clock).close()
    with running_server(db, faults="credit:lose@1", clock=clock) as url:
        assert url.startswith("http://127.0.0.1:")
        writer = HttpLedger.from_url(url, token=BILLING_TOKEN, timeout=10)
        reader = HttpLedger.from_url(url, token=READ_TOKEN, timeout=10)
        with pytest.raises(AmbiguousWrite):
            writer.credit(5, note="lost")
        writer.credit(7, note="seen")
        assert reader.organization_wallet().balance == 12
        with pytest.raises(LedgerAuthError):
            reader.credit(1, note="")
        writer.close()
        reader.close()
    with SqliteLedger(db, clock=clock) as after:
        assert [e.note for e in after.transactions(after.organization_wallet().id)] == [
            "lost",
            "seen",
        ]


def test_tls_is_verified(sandbox: SqliteLedger) -> None:
    fixtures = Path(__file__).parent.parent / "fixtures" / "tls"
    cert, key = fixtures / "selfsigned.crt", fixtures / "selfsigned.key"
    app = create_app(sandbox, token=BILLING_TOKEN, read_token=None)
    with serving(app, tls=(cert, key)) as url:
        assert url.startswith("https://127.0.0.1:")
        ledger = HttpLedger.from_url(url, token=BILLING_TOKEN, timeout=5)
        with pytest.raises(LedgerUnavailable) as info:
            ledger.credit(1, note="")
        assert "certificate verify failed: self-signed certificate" in str(info.value)
        assert str(info.value).endswith("nothing was written, retry later")
        ledger.close()
        trusting = httpx.Client(
            base_url=url,
            headers={"Authorization": f"Bearer {BILLING_TOKEN}"},
            verify=ssl.create_default_context(cafile=str(cert)),
        )
        with HttpLedger(trusting) as trusted:
            assert trusted.credit(1, note="over tls").note == "over tls"
    assert sandbox.organization_wallet().balance == 1
