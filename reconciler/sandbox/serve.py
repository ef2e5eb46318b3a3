"""Starting the sandbox server: the listening socket and uvicorn's settings, in one place.

``reconciler sandbox serve`` and the tests' server thread both start uvicorn through these, so
the server a test talks to is configured as the one a person runs.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (IPv6 when the host has a colon; port 0 = any free
    one), without Nagle's 40 ms stalls. OSError when the address cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted sockets
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def uvicorn_config(app: Any, *, grace: int, tls: tuple[Path, Path] | None = None) -> Any:
    """uvicorn's settings for the sandbox: warnings only, no access log, no lifespan or
    websockets, ``grace`` seconds for requests in flight at shutdown; https with
    ``tls=(certfile, keyfile)``. uvicorn is imported only here, when a server starts."""
    import uvicorn

    return uvicorn.Config(
        app,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        timeout_graceful_shutdown=grace,
        ssl_certfile=str(tls[0]) if tls else None,
        ssl_keyfile=str(tls[1]) if tls else None,
    )
