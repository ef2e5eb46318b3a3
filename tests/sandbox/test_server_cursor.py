"""QA-a #4: a crafted cursor whose entry number does not fit SQLite is a 422, not a 500."""

from __future__ import annotations

import base64

import pytest

from reconciler.exactjson import clip
from tests.support.sandbox_server import READ_TOKEN
from tests.support.served import Served, envelope

STAMP = "2026-11-28T16:01:43.279527Z"


def cursor(seq: str) -> str:
    return base64.urlsafe_b64encode(f"{STAMP}|{seq}".encode()).decode().rstrip("=")


@pytest.mark.parametrize("seq", ["9223372036854775808", "9" * 600, "-1", "+5", " 5", "1_0"])
def test_an_out_of_range_cursor_is_a_422_like_other_bad_cursors(served: Served, seq: str) -> None:
    crafted = cursor(seq)
    response = served.http.get(
        f"/v1/wallets/wal_org_org_acme/transactions?cursor={crafted}",
        headers={"Authorization": f"Bearer {READ_TOKEN}"},
    )
    assert envelope(response) == (
        422,
        "validation_error",
        f"cursor {clip(crafted, 80)!r} is not one this ledger returned: start again without "
        "a cursor",
    )


def test_the_largest_entry_number_is_still_a_cursor(served: Served) -> None:
    response = served.http.get(
        f"/v1/wallets/wal_org_org_acme/transactions?cursor={cursor(str(2**63 - 1))}",
        headers={"Authorization": f"Bearer {READ_TOKEN}"},
    )
    assert response.status_code == 200


def test_a_huge_cursor_or_date_is_not_echoed_in_full(served: Served) -> None:
    for query, message in (
        ("cursor=" + "A" * 5000, "cursor 'AAAAAAAAAAAAAAAAAAAA"),
        (
            "since=" + "2" * 5000,
            f"since: {clip('2' * 5000)!r} is not an RFC 3339 date-time",
        ),
    ):
        response = served.http.get(
            f"/v1/wallets/wal_org_org_acme/transactions?{query}",
            headers={"Authorization": f"Bearer {READ_TOKEN}"},
        )
        status, code, text = envelope(response)
        assert (status, code) == (422, "validation_error")
        assert text.startswith(message)
        assert len(text) < 160
