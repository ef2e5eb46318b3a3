from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from reconciler.errors import (
    BudgetExceeded,
    InsufficientFunds,
    LedgerConflict,
    LedgerError,
    LedgerNotFound,
    LedgerRequestInvalid,
)
from reconciler.ledger import wire
from reconciler.ledger.base import EntryType, Scope, Transaction, Wallet, WalletStatus
from reconciler.ledger.http_errors import envelope_for, error_for
from reconciler.ledger.retry import parse_retry_after

MOMENT = datetime(2026, 11, 28, 15, 17, 6, 123456, tzinfo=UTC)


def test_amounts_are_exact_number_tokens() -> None:
    body = wire.movement_body(1, "note é", "team_a")
    assert wire.dumps(body) == (
        '{"team_id":"team_a","amount":0.000001,"currency":"USD","note":"note \\u00e9"}'
    )
    assert wire.dumps(wire.movement_body(5_000_000_000, "")) == (
        '{"amount":5000.00,"currency":"USD","note":""}'
    )
    assert wire.dumps([Decimal("-12.50"), None, True, 3]) == "[-12.50,null,true,3]"


def test_floats_are_never_written() -> None:
    with pytest.raises(TypeError, match="float is not JSON serializable here"):
        wire.dumps({"amount": 0.1})


def test_loads_parses_decimals_and_refuses_nan() -> None:
    assert wire.loads(b'{"a": 0.000001, "b": 5000.00, "c": 7}') == {
        "a": Decimal("0.000001"),
        "b": Decimal("5000.00"),
        "c": 7,
    }
    with pytest.raises(wire.WireError, match="NaN is not a JSON number"):
        wire.loads(b'{"a": NaN}')
    with pytest.raises(wire.WireError, match="body is not valid JSON"):
        wire.loads(b"{")


def test_wallet_and_transaction_round_trip() -> None:
    wallet = Wallet(
        "w1",
        Scope.TEAM,
        "team_a",
        "Team A",
        "USD",
        12_000_500_000,
        1,
        12_000_500_000,
        0,
        WalletStatus.LOW,
    )
    entry = Transaction(
        "t1",
        "w1",
        EntryType.ALLOCATION_OUT,
        -1_000_001,
        5,
        "n",
        MOMENT,
        Scope.TEAM,
        "team_a",
        None,
        "billing-token",
    )
    assert wire.parse_wallet(wire.loads(wire.dumps(wire.wallet_json(wallet)))) == wallet
    page = wire.loads(wire.dumps(wire.transactions_json([entry], "c2")))
    assert wire.parse_transactions(page) == ([entry], "c2")
    assert page["transactions"][0]["amount"] == Decimal("-1.000001")
    assert page["transactions"][0]["created_at"] == "2026-11-28T15:17:06.123456Z"


def test_malformed_responses_name_what_is_wrong() -> None:
    with pytest.raises(wire.WireError, match="response has no 'wallets' list"):
        wire.parse_wallets({"data": []})
    with pytest.raises(wire.WireError, match="unexpected transaction object"):
        wire.parse_transaction({"id": "t"})
    with pytest.raises(wire.WireError, match=r"amount: 0\.0000001 has more than 6 decimal places"):
        wire.parse_movement({"amount": Decimal("0.0000001")})


def test_error_envelope() -> None:
    raw = wire.dumps(wire.error_json("policy_violation", "budget_exceeded", "no", "p1")).encode()
    parsed = wire.parse_error(raw)
    assert parsed == wire.ErrorBody("policy_violation", "budget_exceeded", "no", "p1")
    assert wire.parse_error(b"<html>") is None


def test_retry_after_seconds_and_http_date() -> None:
    now = datetime(2026, 11, 28, 15, 0, 0, tzinfo=UTC)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Sat, 28 Nov 2026 15:00:07 GMT", now=now) == 7.0
    assert parse_retry_after("Sat, 28 Nov 2026 14:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(
    "error",
    [
        BudgetExceeded("b"),
        InsufficientFunds("i"),
        LedgerRequestInvalid("r"),
        LedgerNotFound("n"),
        LedgerConflict("c"),
    ],
)
def test_every_refusal_survives_the_round_trip_through_http(error: LedgerError) -> None:
    status, type_, code = envelope_for(error)
    back = error_for(status, wire.ErrorBody(type_, code, str(error), None), "POST /x", write=True)
    assert type(back) is type(error)
    assert str(back).startswith("POST /x: ")
    assert str(back).endswith(f" ({status}): {error}")
