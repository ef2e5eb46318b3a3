"""HttpLedger against injected faults: reads retried, writes never, lost writes are ambiguous."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.errors import AmbiguousWrite, LedgerError, LedgerNotFound, LedgerUnavailable
from reconciler.ledger.base import EntryType
from reconciler.ledger.http import HttpLedger
from reconciler.ledger.retry import Backoff
from reconciler.sandbox.faults import FaultPlan
from reconciler.sandbox.ledger import SqliteLedger
from reconciler.sandbox.server import create_app
from tests.support.sandbox_server import BILLING_TOKEN, serving

BACKOFF = Backoff(base=0.5, cap=4.0, retry_after_cap=30.0)


@contextmanager
def faulty(
    sandbox: SqliteLedger, spec: str, *, timeout: float = 10
) -> Iterator[tuple[HttpLedger, FaultPlan, list[float]]]:
    plan = FaultPlan.parse(spec)
    sleeps: list[float] = []
    with serving(create_app(sandbox, token=BILLING_TOKEN, read_token=None, faults=plan)) as url:
        client = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {BILLING_TOKEN}"}, timeout=timeout
        )
        ledger = HttpLedger(client, backoff=BACKOFF, sleep=sleeps.append, rng=random.Random(7))
        try:
            yield ledger, plan, sleeps
        finally:
            ledger.close()


def test_reads_retry_through_503_with_jittered_backoff(sandbox: SqliteLedger) -> None:
    with faulty(sandbox, "wallets:503@1,2,3") as (ledger, plan, sleeps):
        assert [w.owner_id for w in ledger.list_wallets()] == ["org_acme"]
        assert plan.count("wallets") == 4
    assert len(sleeps) == 3
    for retry, slept in enumerate(sleeps):
        assert 0 <= slept <= min(4.0, 0.5 * 2**retry)
    rng = random.Random(7)
    assert sleeps == [rng.uniform(0, 0.5), rng.uniform(0, 1.0), rng.uniform(0, 2.0)]


def test_reads_honour_retry_after_on_429(sandbox: SqliteLedger) -> None:
    with faulty(sandbox, "balance:429@1,2") as (ledger, plan, sleeps):
        assert ledger.team_wallet("team_a") is None
        assert plan.count("balance") == 3
    assert sleeps == [1.0, 1.0]


def test_reads_give_up_after_five_attempts(sandbox: SqliteLedger) -> None:
    with faulty(sandbox, "transactions:502") as (ledger, plan, sleeps):
        org = sandbox.organization_wallet().id
        with pytest.raises(LedgerUnavailable) as info:
            list(ledger.transactions(org))
        assert plan.count("transactions") == 5
        assert len(sleeps) == 4
        assert str(info.value).startswith(f"GET /v1/wallets/{org}/transactions on the ledger at ")
        assert str(info.value).endswith(
            "failed 5 times (last: HTTP 502); check that the service is up and retry later"
        )


def test_a_lost_write_is_ambiguous_and_happened_exactly_once(sandbox: SqliteLedger) -> None:
    sandbox.credit(100_000_000)
    with faulty(sandbox, "allocate:lose@1") as (ledger, plan, sleeps):
        with pytest.raises(AmbiguousWrite) as info:
            ledger.allocate("team_a", 5_000_000, note="op=abc", idempotency_key="abc")
        assert str(info.value) == (
            "POST /v1/wallets/allocate (idempotency key abc): HTTP 502 from the ledger at "
            f"{ledger._base}; it may or may not have been applied: search the wallet's "
            "transactions before retrying"
        )
        assert (plan.count("allocate"), sleeps) == (1, [])
        team = ledger.team_wallet("team_a")
        assert team is not None
        found = [e for e in ledger.transactions(team.id) if e.note == "op=abc"]
        assert [(e.type, e.amount) for e in found] == [(EntryType.ALLOCATION_IN, 5_000_000)]
        replay = ledger.allocate("team_a", 5_000_000, note="op=abc", idempotency_key="abc")
        assert replay == found[0]
    assert sandbox.team_wallet("team_a").balance == 5_000_000  # type: ignore[union-attr]
    assert sandbox.check() == []


def test_a_5xx_write_is_ambiguous_even_when_nothing_happened(sandbox: SqliteLedger) -> None:
    sandbox.credit(100_000_000)
    with faulty(sandbox, "reclaim:503,credit:500") as (ledger, plan, _sleeps):
        with pytest.raises(AmbiguousWrite, match=r"^POST /v1/wallets/credit: HTTP 500 from"):
            ledger.credit(1, note="x")
        assert plan.count("credit") == 1
    assert sandbox.entry_count() == 1


def test_a_timed_out_write_is_ambiguous(sandbox: SqliteLedger) -> None:
    sandbox.credit(100_000_000)
    with faulty(sandbox, "allocate:latency=400@1", timeout=0.1) as (ledger, _plan, _sleeps):
        with pytest.raises(AmbiguousWrite) as info:
            ledger.allocate("team_a", 1_000_000, note="slow")
        assert str(info.value).startswith(
            "POST /v1/wallets/allocate: timed out: timed out after the request was sent"
        )
        deadline = time.monotonic() + 5
        while sandbox.team_wallet("team_a") is None and time.monotonic() < deadline:
            time.sleep(0.02)
    assert sandbox.team_wallet("team_a").balance == 1_000_000  # type: ignore[union-attr]


def test_refused_connections_are_retried_for_reads_and_certain_for_writes() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps: list[float] = []
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=2)
    ledger = HttpLedger(client, read_attempts=6, sleep=sleeps.append)
    with pytest.raises(LedgerUnavailable, match=r"failed 6 times \(last: ConnectError"):
        ledger.list_wallets()
    assert len(sleeps) == 5
    with pytest.raises(LedgerUnavailable) as info:
        ledger.allocate("team_a", 1, note="")
    assert not isinstance(info.value, AmbiguousWrite)
    assert str(info.value).startswith(
        f"POST /v1/wallets/allocate: could not connect to the ledger at http://127.0.0.1:{port} "
    )
    assert str(info.value).endswith("nothing was written, retry later")
    ledger.close()


def test_a_rate_limited_write_is_certain_and_not_retried(sandbox: SqliteLedger) -> None:
    with faulty(sandbox, "credit:429@1") as (ledger, plan, sleeps):
        with pytest.raises(LedgerUnavailable) as info:
            ledger.credit(1, note="x")
        assert not isinstance(info.value, AmbiguousWrite)
        assert str(info.value) == (
            "POST /v1/wallets/credit: rate limited (429); nothing was written, retry after 1"
        )
        assert info.value.retry_after == 1  # the executor waits at least this long
        assert (plan.count("credit"), sleeps) == (1, [])
    assert sandbox.entry_count() == 0


def test_a_reset_write_is_ambiguous_and_happened(sandbox: SqliteLedger) -> None:
    sandbox.credit(100_000_000)
    with faulty(sandbox, "reclaim:reset@1,allocate:reset@1") as (ledger, plan, _sleeps):
        with pytest.raises(AmbiguousWrite) as info:
            ledger.allocate("team_a", 2_000_000, note="cut")
        assert str(info.value).startswith(
            "POST /v1/wallets/allocate: RemoteProtocolError: peer closed connection without "
            "sending complete message body"
        )
        assert str(info.value).endswith(
            "after the request was sent; it may or may not have been applied: search the "
            "wallet's transactions before retrying"
        )
        assert plan.count("allocate") == 1
    assert [(e.type, e.note) for e in sandbox.transactions(sandbox.team_wallet("team_a").id)] == [  # type: ignore[union-attr]
        (EntryType.ALLOCATION_IN, "cut")
    ]


def test_a_reset_read_is_retried(sandbox: SqliteLedger) -> None:
    with faulty(sandbox, "wallets:reset@1") as (ledger, plan, sleeps):
        assert [w.owner_id for w in ledger.list_wallets()] == ["org_acme"]
        assert (plan.count("wallets"), len(sleeps)) == (2, 1)


def test_an_unreadable_answer_to_a_write_is_ambiguous() -> None:
    def answer(request: Request) -> Response:
        body = b"<html>ok</html>" if request.url.path.endswith("allocate") else b'{"x": 1}'
        return Response(body, 200, media_type="application/json")

    app = Starlette(routes=[Route("/v1/wallets/{op}", answer, methods=["GET", "POST"])])
    with serving(app) as url, HttpLedger(httpx.Client(base_url=url)) as ledger:
        with pytest.raises(AmbiguousWrite) as info:
            ledger.allocate("team_a", 1, note="")
        assert str(info.value).startswith(
            "POST /v1/wallets/allocate: the ledger accepted the request but its answer is "
            "unreadable (body is not valid JSON: Expecting value: line 1 column 1 (char 0))"
        )
        with pytest.raises(AmbiguousWrite, match=r"\(response has no 'transaction' object\)"):
            ledger.reclaim("team_a", 1, note="")
        with pytest.raises(LedgerError) as read:
            ledger.team_wallet("team_a")
        assert (
            str(read.value) == "unexpected response from the ledger: response has no 'cascade' list"
        )


def test_a_refused_read_is_not_retried(sandbox: SqliteLedger) -> None:
    with faulty(sandbox, "wallets:503@99") as (ledger, plan, sleeps):
        with pytest.raises(LedgerNotFound):
            list(ledger.transactions("wal_missing"))
        assert (plan.count("transactions"), sleeps) == (1, [])


def test_a_timed_out_read_is_retried(sandbox: SqliteLedger) -> None:
    with faulty(sandbox, "wallets:latency=400@1", timeout=0.1) as (ledger, plan, sleeps):
        assert [w.owner_id for w in ledger.list_wallets()] == ["org_acme"]
        assert (plan.count("wallets"), len(sleeps)) == (2, 1)
