"""The OpenAPI document, the client's bodies and the server's routes agree with each other."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.routing import Route

from reconciler.ledger import wire
from reconciler.sandbox.ledger import SqliteLedger
from reconciler.sandbox.server import create_app
from reconciler.sandbox.validation import BodyValidator, InvalidBody, openapi_document


def test_the_server_serves_exactly_the_documented_routes(sandbox: SqliteLedger) -> None:
    app = create_app(sandbox, token="t", read_token=None)
    served = {
        (route.path, method.lower())
        for route in app.routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }
    documented = {
        (path, method) for path, item in openapi_document()["paths"].items() for method in item
    }
    assert served == documented


@pytest.mark.parametrize(
    ("schema", "body"),
    [
        ("CreditRequest", wire.movement_body(1, "n")),
        ("MovementRequest", wire.movement_body(5_000_000_000, "Q2 2026", "team_engineering")),
        ("ReserveRequest", wire.reserve_body("r1", 1, user_id="u", team_id="t", timeout_seconds=9)),
        ("ReserveRequest", wire.reserve_body("r1", 1, consumer_group="engineering")),
        ("SettleRequest", wire.settle_body("res_1", 0)),
    ],
)
def test_the_client_sends_what_the_contract_says(schema: str, body: dict[str, Any]) -> None:
    parsed = BodyValidator().validate(schema, wire.dumps(body).encode())
    assert wire.dumps(parsed) == wire.dumps(body)


def test_the_documented_allocate_example_is_accepted() -> None:
    operation = openapi_document()["paths"]["/v1/wallets/allocate"]["post"]
    example = operation["requestBody"]["content"]["application/json"]["example"]
    text = wire.dumps({**example, "amount": wire.Number("5000.00")})
    assert wire.parse_movement(BodyValidator().validate("MovementRequest", text.encode())) == (
        wire.MovementRequest("team_engineering", 5_000_000_000, "Q2 2026 AI budget allocation")
    )


def test_a_credit_names_no_team() -> None:
    with pytest.raises(InvalidBody) as info:
        BodyValidator().validate("CreditRequest", b'{"team_id": "t", "amount": 1}')
    assert str(info.value) == (
        "body: unknown key 'team_id'; the allowed keys are amount, currency, note"
    )


def test_every_response_schema_is_marked_inferred() -> None:
    schemas = openapi_document()["components"]["schemas"]
    for name in (
        "Wallet",
        "WalletList",
        "Balance",
        "Transaction",
        "TransactionPage",
        "TransactionResponse",
        "Reservation",
        "SignedAmount",
    ):
        assert schemas[name].get("x-inferred") is True, name
