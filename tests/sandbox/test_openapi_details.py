"""Details of the wire contract a standard client relies on: 405 Allow, Cost bounds, license."""

from __future__ import annotations

from reconciler.sandbox.validation import openapi_document
from tests.support.served import Served, envelope, served

__all__ = ["served"]


def test_a_405_answer_names_the_allowed_methods(served: Served) -> None:
    response = served.http.get("/v1/wallets/allocate")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert envelope(response) == (405, "method_not_allowed", "GET /v1/wallets/allocate")


def test_reserve_refuses_an_estimate_of_0_as_the_schema_says(served: Served) -> None:
    schemas = openapi_document()["components"]["schemas"]
    assert schemas["ReserveRequest"]["properties"]["estimated_cost"] == {
        "$ref": "#/components/schemas/EstimatedCost"
    }
    assert schemas["EstimatedCost"]["exclusiveMinimum"] == 0
    assert "minimum" not in schemas["EstimatedCost"]
    response = served.post(
        "/v1/gateway/wallets/reserve", '{"request_id":"r1","team_id":"t","estimated_cost":0}'
    )
    assert envelope(response) == (
        422,
        "validation_error",
        "estimated_cost: 0 is too small; it must be more than 0",
    )


def test_the_document_states_its_license() -> None:
    assert openapi_document()["info"]["license"] == {
        "name": "Apache-2.0",
        "identifier": "Apache-2.0",
    }
