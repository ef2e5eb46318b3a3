"""Server-only behaviour: auth, aliases, validation, the error envelope, exact amounts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from reconciler.errors import LedgerAuthError
from reconciler.ledger.base import Scope
from reconciler.ledger.http import HttpLedger
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.sandbox_server import BILLING_TOKEN, READ_TOKEN

BILLING = {"Authorization": f"Bearer {BILLING_TOKEN}"}
READ = {"Authorization": f"Bearer {READ_TOKEN}"}
ALLOCATE = {"team_id": "team_a", "amount": 5000.00, "currency": "USD", "note": "Q2"}


@pytest.fixture
def client(server_url: str, sandbox: SqliteLedger) -> Iterator[httpx.Client]:
    sandbox.credit(10_000_000_000, note="seed")
    with httpx.Client(base_url=server_url, timeout=10) as http:
        yield http


def decoded(response: httpx.Response) -> Any:
    return json.loads(response.content, parse_float=Decimal)


def post(client: httpx.Client, path: str, body: str, **headers: str) -> httpx.Response:
    return client.post(
        path, content=body, headers={**BILLING, "Content-Type": "application/json", **headers}
    )


def test_no_token_is_401_with_the_envelope(client: httpx.Client) -> None:
    response = client.get("/v1/wallets")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert decoded(response) == {
        "error": {
            "type": "authentication_error",
            "code": "unauthorized",
            "message": "missing bearer token: send Authorization: Bearer <token>",
        }
    }
    for presented in (b"Bearer nope", b"Bearer caf\xe9", b"Basic abc", b"Bearer"):
        wrong = client.get("/v1/wallets", headers={"Authorization": presented})
        assert wrong.status_code == 401, presented
        assert decoded(wrong)["error"]["code"] == "unauthorized"


def test_read_token_reads_but_may_not_write(client: httpx.Client, sandbox: SqliteLedger) -> None:
    listed = client.get("/v1/wallets", headers=READ)
    assert listed.status_code == 200
    assert [w["owner_id"] for w in decoded(listed)["wallets"]] == ["org_acme"]
    refused = client.post("/v1/wallets/allocate", json=ALLOCATE, headers=READ)
    assert refused.status_code == 403
    assert decoded(refused) == {
        "error": {
            "type": "permission_error",
            "code": "forbidden",
            "message": "this token may only read: wallet writes need a token with org:billing",
        }
    }
    assert sandbox.team_wallet("team_a") is None


def test_http_ledger_with_the_read_token_says_which_permission(server_url: str) -> None:
    ledger = HttpLedger.from_url(server_url, token=READ_TOKEN)
    with pytest.raises(LedgerAuthError) as info:
        ledger.allocate("team_a", 1, note="")
    assert str(info.value) == (
        "POST /v1/wallets/allocate: permission denied (403): wallet writes need a token with "
        "org:billing permission"
    )
    ledger.close()


def test_console_aliases_move_money_like_the_v1_routes(
    client: httpx.Client, sandbox: SqliteLedger
) -> None:
    given = post(client, "/api/wallets/allocate", '{"team_id":"team_a","amount":100.00}')
    taken = post(client, "/api/wallets/reclaim", '{"team_id":"team_a","amount":40}')
    assert (given.status_code, taken.status_code) == (200, 200)
    assert decoded(given)["transaction"]["type"] == "allocation_in"
    assert decoded(taken)["transaction"]["amount"] == Decimal("-40.00")
    assert sandbox.team_wallet("team_a").balance == 60_000_000  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"team_id":"team_a"}', "body: 'amount' is required"),
        ('{"team_id":"team_a","amount":"5"}', 'amount: expected a number, got "5"'),
        ('{"team_id":"team_a","amount":0}', "amount: 0 is too small; it must be more than 0"),
        (
            '{"team_id":"team_a","amount":1,"memo":"x"}',
            "body: unknown key 'memo'; the allowed keys are team_id, amount, currency, note",
        ),
        ('{"team_id":"team a","amount":1}', 'team_id: "team a" does not match ^[A-Za-z0-9]'),
        ('{"team_id":"team_a","amount":1,"currency":"EUR"}', 'currency: "EUR" is not one of "USD"'),
        ('{"team_id":"team_a","amount":0.0000001}', "amount: 0.0000001 has more than 6 decimal"),
        ('{"team_id":"team_a","amount":NaN}', "NaN is not a JSON number"),
        ("{", "body is not valid JSON: Expecting property name enclosed in double quotes"),
    ],
)
def test_invalid_bodies_are_422_naming_the_field(
    client: httpx.Client, sandbox: SqliteLedger, body: str, message: str
) -> None:
    response = post(client, "/v1/wallets/allocate", body)
    assert response.status_code == 422
    error = decoded(response)["error"]
    assert (error["type"], error["code"]) == ("invalid_request", "validation_error")
    assert error["message"].startswith(message)
    assert sandbox.team_wallet("team_a") is None


def test_query_parameters_are_validated(client: httpx.Client, sandbox: SqliteLedger) -> None:
    org = sandbox.organization_wallet().id
    cases = {
        f"/v1/wallets/{org}/transactions?limit=0": "limit: '0' is not an integer from 1 to 1000",
        f"/v1/wallets/{org}/transactions?since=yesterday": "since: 'yesterday' is not an RFC 3339",
        f"/v1/wallets/{org}/transactions?cursor=@@": "cursor '@@' is not one this ledger returned",
        "/v1/wallets/balance?team_id=a%20b": "team_id: bad id",
    }
    for url, message in cases.items():
        response = client.get(url, headers=READ)
        assert response.status_code == 422, url
        assert decoded(response)["error"]["message"].startswith(message)


def test_unknown_wallet_and_route_use_the_envelope(client: httpx.Client) -> None:
    missing = client.get("/v1/wallets/wal_nope/transactions", headers=READ)
    assert (missing.status_code, decoded(missing)["error"]["code"]) == (404, "not_found")
    route = client.get("/v1/nothing", headers=READ)
    assert route.status_code == 404
    assert decoded(route)["error"]["message"] == "GET /v1/nothing"


def test_amounts_travel_as_exact_numbers(client: httpx.Client, sandbox: SqliteLedger) -> None:
    response = post(client, "/v1/wallets/allocate", '{"team_id":"team_a","amount":0.000001}')
    assert response.status_code == 200
    assert '"amount":0.000001,' in response.text
    entry = decoded(response)["transaction"]
    assert entry["amount"] == Decimal("0.000001")
    assert entry["actor"] == "billing-token"
    wallets = decoded(client.get("/v1/wallets", headers=READ))["wallets"]
    assert [(w["owner_id"], w["balance"], w["available"]) for w in wallets] == [
        ("org_acme", Decimal("9999.999999"), Decimal("9999.999999")),
        ("team_a", Decimal("0.000001"), Decimal("0.000001")),
    ]
    assert '"balance":9999.999999,' in client.get("/v1/wallets", headers=READ).text


def test_balance_shows_the_cascade(client: httpx.Client) -> None:
    post(client, "/v1/wallets/allocate", '{"team_id":"team_a","amount":10}')
    body = decoded(client.get("/v1/wallets/balance", params={"team_id": "team_a"}, headers=READ))
    assert body["effective_scope"] == "team"
    assert [(w["scope"], w["owner_id"]) for w in body["cascade"]] == [
        ("team", "team_a"),
        ("organization", "org_acme"),
    ]


def test_http_ledger_balance_lists_user_team_org(server_url: str, sandbox: SqliteLedger) -> None:
    sandbox.credit(100_000_000)
    sandbox.allocate("team_a", 10_000_000)
    sandbox.allocate_user("user_x", 1)
    with HttpLedger.from_url(server_url, token=READ_TOKEN) as ledger:
        cascade = ledger.balance(team_id="team_a", user_id="user_x")
        assert [(w.scope, w.owner_id, w.available) for w in cascade] == [
            (Scope.USER, "user_x", 1),
            (Scope.TEAM, "team_a", 10_000_000),
            (Scope.ORGANIZATION, "org_acme", 89_999_999),
        ]
        assert ledger.balance() == [sandbox.organization_wallet()]


def test_idempotency_key_replays_and_conflicts(client: httpx.Client) -> None:
    body = '{"team_id":"team_a","amount":10.00,"note":"n"}'
    first = post(client, "/v1/wallets/allocate", body, **{"Idempotency-Key": "k1"})
    again = post(client, "/v1/wallets/allocate", body, **{"Idempotency-Key": "k1"})
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.content == first.content
    other = post(
        client, "/v1/wallets/allocate", body.replace("10.00", "11"), **{"Idempotency-Key": "k1"}
    )
    assert other.status_code == 409
    assert decoded(other)["error"]["code"] == "conflict"


def test_reserve_402_uses_the_policy_envelope(client: httpx.Client) -> None:
    response = post(
        client, "/v1/gateway/wallets/reserve", '{"request_id":"r1","estimated_cost":20000}'
    )
    assert response.status_code == 402
    assert decoded(response) == {
        "error": {
            "type": "policy_violation",
            "code": "budget_exceeded",
            "message": "no wallet covers the estimated cost 20,000.00 of request r1 "
            "(organization wallet has 10,000.00 available): top up or allocate more",
        }
    }
