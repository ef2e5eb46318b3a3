"""Property-based conformance: the real server against its own OpenAPI document (bounded)."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from reconciler.sandbox.ledger import SqliteLedger
from reconciler.sandbox.server import create_app
from reconciler.sandbox.validation import openapi_document
from tests.support.sandbox_server import BILLING_TOKEN, READ_TOKEN, serving

schema = schemathesis.openapi.from_dict(copy.deepcopy(openapi_document()))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def live_url(sandbox: SqliteLedger) -> Iterator[str]:
    sandbox.credit(100_000_000_000, note="seed")
    sandbox.allocate("team_a", 1_000_000_000, note="seed")
    with serving(create_app(sandbox, token=BILLING_TOKEN, read_token=READ_TOKEN)) as url:
        yield url


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_server_conforms_to_its_openapi_document(case: schemathesis.Case, live_url: str) -> None:
    case.call_and_validate(
        base_url=live_url,
        headers={"Authorization": f"Bearer {BILLING_TOKEN}"},
        checks=CHECKS,
        timeout=10,
    )
