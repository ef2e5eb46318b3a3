"""The floor an apply is compared with: N allocations POSTed one after another.

    python -m benchmarks.roundtrips URL N

Allocates 1.00 to each of ``team_00000`` … ``team_<N-1>`` through ``POST /v1/wallets/allocate``
on the sandbox server at URL, strictly one round trip at a time, with one httpx client (kept-alive
connection), the billing token from ``KEEPTRUSTS_API_TOKEN``. Every answer must be 200.
"""

from __future__ import annotations

import os
import sys

import httpx


def main() -> None:
    url, count = sys.argv[1], int(sys.argv[2])
    headers = {"Authorization": f"Bearer {os.environ['KEEPTRUSTS_API_TOKEN']}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        for index in range(count):
            body = (  # written out: the amount is an exact JSON number, never a float
                f'{{"team_id": "team_{index:05d}", "amount": 1.00, "currency": "USD",'
                f' "note": "round trip {index}"}}'
            )
            answer = client.post(
                "/v1/wallets/allocate",
                content=body,
                headers={"Content-Type": "application/json"},
            )
            if answer.status_code != 200:
                raise SystemExit(f"allocate {index}: HTTP {answer.status_code} {answer.text}")


if __name__ == "__main__":
    main()
