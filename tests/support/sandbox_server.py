"""The real sandbox server on 127.0.0.1, for tests: ``with running_server(db) as url: ...``.

uvicorn runs in a background thread on a socket bound to a free loopback port; the context
manager waits until the server answers and shuts it down cleanly on exit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from reconciler.clock import Clock
from reconciler.sandbox.faults import FaultPlan
from reconciler.sandbox.serve import listening_socket, uvicorn_config
from reconciler.sandbox.server import create_app

BILLING_TOKEN = "test-billing-token"
READ_TOKEN = "test-read-token"


@contextmanager
def serving(app: Starlette, *, tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """Serve an ASGI app on 127.0.0.1 (a free port) in a thread; yield its base URL.

    ``tls=(certfile, keyfile)`` serves https instead of http.
    """
    sock = listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(app, grace=2, tls=tls))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.01)
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def running_server(
    db_path: Path,
    *,
    token: str | None = BILLING_TOKEN,
    read_token: str | None = READ_TOKEN,
    faults: str | None = None,
    clock: Clock,
) -> Iterator[str]:
    """Serve the sandbox ledger at ``db_path`` (created with ``sandbox init`` or
    ``SqliteLedger.create``); yield the base URL (``http://127.0.0.1:PORT``).

    ``clock`` stamps every entry the server writes: tests choose the instant (required, so a
    server never writes at the wall clock)."""
    from reconciler.sandbox.ledger import SqliteLedger

    ledger = SqliteLedger(db_path, clock=clock)
    try:
        plan = FaultPlan.parse(faults) if faults else None
        with serving(create_app(ledger, token=token, read_token=read_token, faults=plan)) as url:
            yield url
    finally:
        ledger.close()
