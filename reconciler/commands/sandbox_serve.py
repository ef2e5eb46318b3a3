"""``reconciler sandbox serve``: the sandbox ledger over the wallet HTTP API.

uvicorn's own log lines reach stderr as one line each (``error: …``), never with a traceback.
Ctrl-C stops the server: requests in flight get ``GRACE_SECONDS`` to finish, the rest are
cancelled, and the command prints ``sandbox server stopped`` (saying how many were cancelled)
and exits 130, like every interrupted command.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

import click

from reconciler.commands.sandbox import DbPath
from reconciler.errors import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    LedgerConfigError,
    MissingExtra,
    exit_codes_help,
)
from reconciler.ledger import is_loopback
from reconciler.sandbox.faults import FaultPlan, FaultSpecError
from reconciler.sandbox.serve import listening_socket, uvicorn_config

GRACE_SECONDS = 3
TOKEN_VARIABLE = "RECONCILER_SANDBOX_TOKEN"
READ_TOKEN_VARIABLE = "RECONCILER_SANDBOX_READ_TOKEN"


INSTALL_HINT = (
    "sandbox serve needs the sandbox extra (starlette and uvicorn): "
    "pip install 'reconciler[sandbox]'"
)


def _server_modules() -> tuple[ModuleType, ModuleType]:
    """``reconciler.sandbox.server`` and ``uvicorn``; MissingExtra when the extra is missing."""
    try:
        import uvicorn

        from reconciler.sandbox import server
    except ImportError as exc:
        raise MissingExtra(INSTALL_HINT) from exc
    return server, uvicorn


class _OneLineLog(logging.Handler):
    """uvicorn's log records as one stderr line each, no traceback; counts cancelled requests.

    On a shutdown that outlasts the grace period uvicorn logs "Cancel N running task(s)" and
    then, per cancelled request, "Exception in ASGI application" with a CancelledError
    traceback: the first is counted, the second dropped.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.cancelled = 0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Cancel ") and "running task" in message:
            self.cancelled += int(message.split()[1]) if message.split()[1].isdigit() else 1
            return
        if self.cancelled and message.startswith("Exception in ASGI application"):
            return
        first = message.splitlines()[0] if message else record.levelname
        click.echo(f"{record.levelname.lower()}: {first}", err=True)


def _quiet_uvicorn() -> _OneLineLog:
    handler = _OneLineLog()
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        logger = logging.getLogger(name)
        logger.handlers = [handler] if name == "uvicorn" else []
        logger.propagate = name != "uvicorn"
    return handler


def _server_class() -> type[Any]:
    """uvicorn's Server, remembering a SIGINT (uvicorn is imported only when serve runs)."""
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, remembering whether a SIGINT stopped it."""

        interrupted = False

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            self.interrupted = self.interrupted or sig == signal.SIGINT
            super().handle_exit(sig, frame)

    return Server


def _stopped_line(cancelled: int) -> str:
    if not cancelled:
        return "sandbox server stopped"
    requests = "request" if cancelled == 1 else "requests"
    return f"sandbox server stopped; {cancelled} {requests} in flight cancelled"


def _refuse_empty(value: str | None, option: str, variable: str) -> None:
    """An empty token (flag or variable) would make a server nobody can use: refuse it."""
    empty_flag = value is not None and not value.strip()
    empty_variable = value is None and os.environ.get(variable) is not None
    if empty_flag or (empty_variable and not os.environ[variable].strip()):
        raise click.BadParameter(
            f"the token is empty (from {option} or {variable}): give a token, or unset "
            "both to serve an open sandbox",
            param_hint=option,
        )


def _fault_plan(faults: str | None) -> FaultPlan | None:
    try:
        return FaultPlan.parse(faults) if faults else None
    except FaultSpecError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from exc


def _check_host(host: str, *, insecure: bool) -> None:
    if not is_loopback(host) and not insecure:
        raise LedgerConfigError(
            f"refusing to listen on {host}: the sandbox speaks plain http with bearer tokens; "
            "use 127.0.0.1 or pass --insecure"
        )


def _listen(host: str, port: int) -> tuple[socket.socket, str]:
    """A listening socket on ``host:port`` and the address to show, with the port it got."""
    try:
        sock = listening_socket(host, port)
    except OSError as exc:
        raise LedgerConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(128)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if sock.family == socket.AF_INET6 else host
    return sock, f"{shown}:{bound}"


def _run(app: Any, sock: socket.socket) -> int | None:
    """Serve ``app`` on ``sock`` until a signal; EXIT_INTERRUPTED (saying so) after Ctrl-C."""
    config = uvicorn_config(app, grace=GRACE_SECONDS)
    handler = _quiet_uvicorn()
    server = _server_class()(config)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the SIGINT it handled
        server.run(sockets=[sock])
    if server.interrupted:  # also when SIGINT is ignored (a background job of a script)
        click.echo(_stopped_line(handler.cancelled), err=True)
        return EXIT_INTERRUPTED
    return None


@click.command(
    epilog=exit_codes_help(
        (0, 1, 64, 70, 130),
        {
            EXIT_OK: "stopped by SIGTERM",
            EXIT_ERROR: "error: cannot listen, bad gateway config, or the sandbox extra is missing",
            EXIT_INTERRUPTED: "stopped with Ctrl-C (the normal way to stop it)",
        },
    )
)
@click.option(
    "--db",
    "db_path",
    required=True,
    type=DbPath(dir_okay=False, exists=True, path_type=Path),
    help="The sandbox database (made by `sandbox init`).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--token",
    envvar=TOKEN_VARIABLE,
    show_envvar=True,
    help="Billing token (reads and writes). Prefer the variable: flags show up in `ps`.",
)
@click.option(
    "--read-token",
    envvar=READ_TOKEN_VARIABLE,
    show_envvar=True,
    help="Read-only token (a write with it is a 403).",
)
@click.option(
    "--faults",
    metavar="SPEC",
    help="Inject faults, e.g. 'allocate:lose@1,wallets:503' or '*:503~0.2,seed=3'.",
)
@click.option(
    "--gateway-config",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="GatewayConfig YAML: consumer-group -> team mapping for reserve, also served at "
    "GET /keeptrusts/config.",
)
@click.option("--insecure", is_flag=True, help="Allow listening on a non-loopback address.")
def serve(
    db_path: Path,
    host: str,
    port: int,
    token: str | None,
    read_token: str | None,
    faults: str | None,
    gateway_config: Path | None,
    insecure: bool,
) -> int | None:
    """Serve the sandbox ledger over the Keeptrusts wallet HTTP API.

    Routes: GET /v1/wallets, /v1/wallets/balance, /v1/wallets/{id}/transactions;
    POST /v1/wallets/credit|allocate|reclaim, /v1/gateway/wallets/reserve|settle and the
    console aliases /api/wallets/allocate|reclaim (schemas/wallet-api.openapi.yaml). The
    server speaks plain http, so it listens on loopback only unless --insecure. Without any
    token it is open to every local process; an empty token is refused (exit 64).
    Ctrl-C stops it (requests in flight get 3 seconds) with "sandbox server stopped" and
    exit 130.

    \b
    Faults (SPEC = comma-separated ROUTE:KIND[@N[,N..]|@N+|~P] and seed=S):
      ROUTE  allocate reclaim credit transactions wallets balance reserve settle *
      KIND   500|502|503 (no work done), 429 (Retry-After: 1),
             lose (work done, then 502), reset (work done, connection cut),
             latency=MS, ignore-key (act as a ledger without Idempotency-Key)
      @N     only the Nth request to the route; @N+ from the Nth on; default all
      ~P     each request independently with probability P (0 < P <= 1), drawn
             from seed=S (default 0): the same seed, the same faulty run

    \b
    Example:
      export RECONCILER_SANDBOX_TOKEN=dev-billing
      reconciler sandbox serve --db .reconciler/sandbox.db --port 8080
      KEEPTRUSTS_API_TOKEN=dev-billing reconciler plan --ledger http://127.0.0.1:8080
    """
    server, _uvicorn = _server_modules()  # uvicorn: checks the extra is installed
    _refuse_empty(token, "--token", TOKEN_VARIABLE)
    _refuse_empty(read_token, "--read-token", READ_TOKEN_VARIABLE)
    _check_host(host, insecure=insecure)
    plan = _fault_plan(faults)
    from reconciler.clock import clock_from_env
    from reconciler.config.gateway_file import load_gateway_file
    from reconciler.sandbox.ledger import SqliteLedger

    mapping = load_gateway_file(gateway_config) if gateway_config else None
    ledger = SqliteLedger(db_path, clock=clock_from_env())
    try:
        app = server.create_app(
            ledger, token=token, read_token=read_token, faults=plan, gateway_config=mapping
        )
        sock, address = _listen(host, port)
        if token is None and read_token is None:
            click.echo("warning: no --token or --read-token: the server is open", err=True)
        if plan is not None:
            click.echo(f"injecting faults: {faults}", err=True)
        click.echo(f"sandbox ledger {db_path} serving at http://{address}", err=True)
        return _run(app, sock)
    finally:
        ledger.close()
