"""QA-a #11: the server refuses a body over 64 KiB with a 413 while reading, not after."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sandbox.server import MAX_BODY_BYTES
from tests.support.sandbox_server import BILLING_TOKEN
from tests.support.served import Served, envelope

TOO_LARGE = (
    413,
    "payload_too_large",
    "request body is larger than 65536 bytes: wallet requests are small JSON objects",
)


def test_a_declared_large_body_is_a_413(served: Served) -> None:
    note = "x" * MAX_BODY_BYTES
    response = served.post("/v1/wallets/allocate", f'{{"team_id":"t","amount":1,"note":"{note}"}}')
    assert envelope(response) == TOO_LARGE
    assert served.entries() == 1


def test_a_streamed_body_is_cut_off_once_it_passes_the_limit(served: Served) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"team_id":"t","amount":1,"note":"'
        for _ in range(64):  # 4 MiB if it were all read; the server stops after ~64 KiB
            yield b"x" * 65536

    response = served.http.post(
        "/v1/wallets/allocate",
        content=chunks(),
        headers={"Authorization": f"Bearer {BILLING_TOKEN}", "Content-Type": "application/json"},
    )
    assert envelope(response) == TOO_LARGE
    assert served.entries() == 1


def test_a_body_at_the_limit_is_still_read(served: Served) -> None:
    body = '{"team_id":"t","amount":1,"note":"x"}'
    padded = body + " " * (MAX_BODY_BYTES - len(body))
    response = served.post("/v1/wallets/allocate", padded)
    assert response.status_code == 200
    assert served.entries() == 3
