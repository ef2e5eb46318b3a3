"""The sandbox server with every request counted: ``python -m benchmarks.counting_server``.

    python -m benchmarks.counting_server --db LEDGER --port P --log FILE [--faults SPEC]

Serves ``LEDGER`` exactly as ``reconciler sandbox serve`` does (the same ``create_app``, fault
plan and uvicorn settings; the token from ``RECONCILER_SANDBOX_TOKEN``), wrapped in an ASGI
middleware that appends one line per request to FILE: method, path, status, request body bytes,
response body bytes. The benchmark reads FILE after the client is done, so the counts come from
the server, not from the client under test.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, TextIO

from reconciler.clock import clock_from_env
from reconciler.sandbox.faults import FaultPlan
from reconciler.sandbox.ledger import SqliteLedger
from reconciler.sandbox.serve import listening_socket, uvicorn_config
from reconciler.sandbox.server import create_app


class Counting:
    """ASGI middleware: one line per HTTP request into ``log`` (flushed, so a kill loses none)."""

    def __init__(self, app: Any, log: TextIO) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sizes = {"in": 0, "out": 0, "status": 0}

        async def counted_receive() -> Any:
            message = await receive()
            sizes["in"] += len(message.get("body", b""))
            return message

        async def counted_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                sizes["status"] = message["status"]
            elif message["type"] == "http.response.body":
                sizes["out"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counted_receive, counted_send)
        finally:
            self.log.write(
                f"{scope['method']} {scope['path']} {sizes['status']} {sizes['in']} "
                f"{sizes['out']} {scope['query_string'].decode('ascii') or '-'}\n"
            )
            self.log.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--faults")
    args = parser.parse_args()
    import uvicorn

    ledger = SqliteLedger(args.db, clock=clock_from_env())
    faults = FaultPlan.parse(args.faults) if args.faults else None
    token = os.environ.get("RECONCILER_SANDBOX_TOKEN")
    app = create_app(ledger, token=token, read_token=None, faults=faults)
    sock = listening_socket("127.0.0.1", args.port)
    sock.listen(128)
    with args.log.open("a", encoding="utf-8") as log:
        server = uvicorn.Server(uvicorn_config(Counting(app, log), grace=3))
        server.run(sockets=[sock])
    ledger.close()


if __name__ == "__main__":
    main()
