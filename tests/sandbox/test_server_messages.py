"""QA-a #10: 422 messages name the field and what JSON is expected; no Python reprs, clipped."""

from __future__ import annotations

import pytest

from tests.support.served import Served, envelope

MOVE = '{{"team_id":"team_x","amount":{amount}}}'


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (
            "/v1/wallets/allocate",
            MOVE.format(amount="1e400"),
            "amount: 1E+400 is too large; it must be at most 1000000000",
        ),
        (
            "/v1/wallets/allocate",
            MOVE.format(amount="-0.0"),
            "amount: -0.0 is too small; it must be more than 0",
        ),
        ("/v1/wallets/allocate", MOVE.format(amount="true"), "amount: expected a number, got true"),
        ("/v1/wallets/allocate", MOVE.format(amount="null"), "amount: expected a number, got null"),
        (
            "/v1/wallets/allocate",
            MOVE.format(amount="1." + "1" * 4000),
            "amount: 1.11111111111111111\u20261111111111111111111 has more than 6 decimal places",
        ),
        (
            "/v1/wallets/allocate",
            '{"team_id":"' + "t" * 300 + '","amount":1}',
            'team_id: "tttttttttttttttttt\u2026tttttttttttttttttt" does not match '
            "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$",
        ),
        (
            "/v1/gateway/wallets/reserve",
            '{"request_id":"r1","estimated_cost":1,"timeout_seconds":1.5}',
            "timeout_seconds: expected an integer, got 1.5",
        ),
        ("/v1/wallets/credit", "[1, 2]", "body: expected an object, got an array"),
    ],
)
def test_422_messages_speak_json(served: Served, path: str, body: str, message: str) -> None:
    response = served.post(path, body)
    assert envelope(response) == (422, "validation_error", message)
    assert len(response.content) < 300
    assert served.entries() == 1
