"""The sandbox ledger over the wallet HTTP API (``reconciler sandbox serve``), on Starlette.

Routes, bodies and the error envelope are those of ``schemas/wallet-api.openapi.yaml``; every
wire name comes from ``wire.py``. Request bodies are validated against that document's schemas
(422 naming the field). Auth: a *billing* token may read and write, a *read* token may only
read (a write with it is a 403 naming ``org:billing``); with no token configured the server is
open. The actor recorded on writes is the token's role (``billing-token``), never the token.

Handlers do the ledger work in Starlette's threadpool (the ledger is thread-safe). Faults from a
:class:`FaultPlan` are applied after authentication: latency, an error status without the work,
``lose`` (the work is done, then a 502 hides it) or ``reset`` (the work is done, then the
connection is cut mid-answer). A credit/allocate/reclaim answered by an idempotent replay
carries ``Idempotent-Replayed: true``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Send
from starlette.types import Scope as AsgiScope

from reconciler.errors import LedgerError
from reconciler.gateway import fragment
from reconciler.ledger import wire
from reconciler.ledger.base import Scope, Transaction
from reconciler.ledger.http_errors import BILLING_PERMISSION, envelope_for
from reconciler.model import GatewayConfig
from reconciler.sandbox.faults import Fault, FaultPlan
from reconciler.sandbox.ledger import SqliteLedger
from reconciler.sandbox.validation import BodyValidator, InvalidBody, query_limit, query_time

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # the largest valid request body is well under 4 KiB
BILLING_ACTOR = "billing-token"
READ_ACTOR = "read-token"
OPEN_ACTOR = "sandbox-open"


@dataclass(frozen=True, slots=True)
class _Answer:
    """A route's answer body with response headers (``Idempotent-Replayed``)."""

    body: object
    headers: dict[str, str]


def _written(entry: Transaction) -> _Answer:
    return _Answer(wire.transaction_response(entry), wire.replay_headers(entry))


class _Refused(Exception):
    def __init__(self, status: int, type_: str, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.type, self.code, self.message = status, type_, code, message


def _same_secret(presented: str, expected: str | None) -> bool:
    """Constant-time comparison (as bytes: header values need not be ASCII)."""
    if expected is None:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


def error_response(
    status: int, type_: str, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    return _json(wire.error_json(type_, code, message), status, headers)


def _json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(wire.dumps(body), status, headers, media_type="application/json")


class _Api:
    def __init__(
        self,
        ledger: SqliteLedger,
        token: str | None,
        read_token: str | None,
        faults: FaultPlan | None,
    ) -> None:
        self.ledger = ledger
        self.token = token
        self.read_token = read_token
        self.faults = faults
        self.validator = BodyValidator()

    # ---- auth and the request pipeline ------------------------------------------------------

    def actor_for(self, request: Request, write: bool) -> str:
        if self.token is None and self.read_token is None:
            return OPEN_ACTOR
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise _Refused(
                401,
                "authentication_error",
                "unauthorized",
                "missing bearer token: send Authorization: Bearer <token>",
            )
        presented = presented.strip()
        if _same_secret(presented, self.token):
            return BILLING_ACTOR
        if _same_secret(presented, self.read_token):
            if write:
                raise _Refused(
                    403,
                    "permission_error",
                    "forbidden",
                    "this token may only read: wallet writes need a token with "
                    + BILLING_PERMISSION,
                )
            return READ_ACTOR
        raise _Refused(401, "authentication_error", "unauthorized", "unknown bearer token")

    def endpoint(
        self, route: str, work: Callable[[Request, bytes, str], object], *, write: bool
    ) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            try:
                actor = self.actor_for(request, write)
                body = await _read_body(request) if write else b""
                fault = self.faults.next_fault(route) if self.faults else Fault()
                request.state.ignore_key = fault.ignore_key
                if fault.latency_ms:
                    await asyncio.sleep(fault.latency_ms / 1000)
                if fault.status is not None:
                    return _injected(fault.status)
                result = await run_in_threadpool(work, request, body, actor)
                if fault.lose:
                    return error_response(
                        502, "server_error", "response_lost", "injected fault: response lost"
                    )
                if fault.reset:
                    return _CutResponse()
                if isinstance(result, _Answer):
                    return _json(result.body, headers=result.headers)
                return _json(result)
            except _Refused as refused:
                return error_response(refused.status, refused.type, refused.code, refused.message)
            except wire.WireError as exc:
                return error_response(422, "invalid_request", "validation_error", str(exc))
            except LedgerError as exc:
                return _ledger_error(exc)
            except ClientDisconnect:
                log.info("client went away during %s %s", request.method, request.url.path)
                return Response(status_code=499)
            except Exception:
                log.exception("sandbox server error on %s %s", request.method, request.url.path)
                return error_response(500, "server_error", "internal_error", "internal error")

        return handle

    def body(self, schema: str, raw: bytes) -> Any:
        try:
            return self.validator.validate(schema, raw)
        except InvalidBody as exc:
            raise _Refused(422, "invalid_request", "validation_error", str(exc)) from exc

    @staticmethod
    def key(request: Request) -> str | None:
        if getattr(request.state, "ignore_key", False):
            return None  # the ignore-key fault: a ledger that does not honour the header
        key = request.headers.get(wire.IDEMPOTENCY_HEADER)
        if key is not None and not 0 < len(key) <= 128:
            raise _Refused(
                422, "invalid_request", "validation_error", "Idempotency-Key: 1 to 128 characters"
            )
        return key

    # ---- routes -----------------------------------------------------------------------------

    def wallets(self, request: Request, raw: bytes, actor: str) -> object:
        return wire.wallets_json(self.ledger.list_wallets())

    def balance(self, request: Request, raw: bytes, actor: str) -> object:
        params = request.query_params
        team_id, user_id = params.get("team_id"), params.get("user_id")
        for name, value in (("team_id", team_id), ("user_id", user_id)):
            if value is not None and not self.validator.is_owner_id(value):
                raise _Refused(422, "invalid_request", "validation_error", f"{name}: bad id")
        wallets = self.ledger.list_wallets()
        cascade = [w for w in wallets if w.scope is Scope.USER and w.owner_id == user_id]
        cascade += [w for w in wallets if w.scope is Scope.TEAM and w.owner_id == team_id]
        cascade += [w for w in wallets if w.scope is Scope.ORGANIZATION]
        return wire.balance_json(cascade)

    def transactions(self, request: Request, raw: bytes, actor: str) -> object:
        params = request.query_params
        try:
            since = query_time(params.get("since"), "since")
            until = query_time(params.get("until"), "until")
            limit = query_limit(params.get("limit"))
        except InvalidBody as exc:
            raise _Refused(422, "invalid_request", "validation_error", str(exc)) from exc
        entries, cursor = self.ledger.transactions_page(
            request.path_params["wallet_id"],
            since=since,
            until=until,
            limit=limit,
            cursor=params.get("cursor"),
        )
        return wire.transactions_json(entries, cursor)

    def credit(self, request: Request, raw: bytes, actor: str) -> object:
        move = wire.parse_movement(self.body("CreditRequest", raw))
        entry = self.ledger.credit(
            move.amount, note=move.note, idempotency_key=self.key(request), actor=actor
        )
        return _written(entry)

    def move(self, action: str, request: Request, raw: bytes, actor: str) -> object:
        move = wire.parse_movement(self.body("MovementRequest", raw))
        assert move.team_id is not None  # required by the schema
        method = self.ledger.allocate if action == "allocate" else self.ledger.reclaim
        entry = method(
            move.team_id,
            move.amount,
            note=move.note,
            idempotency_key=self.key(request),
            actor=actor,
        )
        return _written(entry)

    def reserve(self, request: Request, raw: bytes, actor: str) -> object:
        ask = wire.parse_reserve(self.body("ReserveRequest", raw))
        extra = {} if ask.timeout_seconds is None else {"timeout_seconds": ask.timeout_seconds}
        reservation = self.ledger.reserve(
            ask.request_id,
            ask.estimated_cost,
            user_id=ask.user_id,
            team_id=ask.team_id,
            consumer_group=ask.consumer_group,
            actor=actor,
            **extra,
        )
        return wire.reservation_json(reservation)

    def settle(self, request: Request, raw: bytes, actor: str) -> object:
        ask = wire.parse_settle(self.body("SettleRequest", raw))
        return wire.transaction_response(
            self.ledger.settle(ask.reservation_id, ask.actual_cost, actor=actor)
        )


async def _read_body(request: Request) -> bytes:
    """The request body, refused (413) as soon as it is known to pass ``MAX_BODY_BYTES``:
    from ``Content-Length`` before reading, else while the chunks arrive."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> _Refused:
    return _Refused(
        413,
        "invalid_request",
        "payload_too_large",
        f"request body is larger than {MAX_BODY_BYTES} bytes: wallet requests are small JSON "
        "objects",
    )


class _CutResponse(Response):
    """Start a 200 answer, send a few bytes of it, and stop: uvicorn then drops the connection."""

    def __init__(self) -> None:
        super().__init__(b"", 200, media_type="application/json")

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        log.warning("injected fault: cutting the connection mid-response")
        headers = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"tr', "more_body": True})


def _injected(status: int) -> Response:
    if status == 429:
        return error_response(
            429, "rate_limited", "rate_limited", "injected fault: slow down", {"Retry-After": "1"}
        )
    code = "unavailable" if status == 503 else "internal_error"
    return error_response(status, "server_error", code, f"injected fault: HTTP {status}")


def _ledger_error(exc: LedgerError) -> Response:
    status, type_, code = envelope_for(exc)
    if status >= 500:
        log.error("sandbox ledger error: %s", exc)
    return error_response(status, type_, code, str(exc))


async def _http_exception(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    code = {404: "not_found", 405: "method_not_allowed"}.get(status, "error")
    message = f"{request.method} {request.url.path}"
    headers = exc.headers if isinstance(exc, HTTPException) and exc.headers else {}
    allow = [v for k, v in headers.items() if k.lower() == "allow"]  # RFC 9110 §15.5.6
    return error_response(
        status, "invalid_request", code, message, {"Allow": allow[0]} if allow else None
    )


def create_app(
    ledger: SqliteLedger,
    *,
    token: str | None,
    read_token: str | None,
    faults: FaultPlan | None = None,
    gateway_config: GatewayConfig | None = None,
) -> Starlette:
    """The ASGI app serving ``ledger``. With neither token it is open: the caller says so.

    A ``gateway_config`` sets the consumer-group -> team mapping ``reserve`` uses, and its
    fragment is served at ``GET /keeptrusts/config``, as a running gateway serves its own."""
    if gateway_config is not None:
        mapping = {g.id: g.wallet_team_id for g in gateway_config.consumer_groups}
        ledger.configure_gateway(mapping, gateway_config.wallet_enforcement)
    api = _Api(ledger, token, read_token, faults)
    read, write = partial(api.endpoint, write=False), partial(api.endpoint, write=True)
    allocate = partial(api.move, "allocate")
    reclaim = partial(api.move, "reclaim")
    routes = [
        Route(wire.WALLETS, read("wallets", api.wallets), methods=["GET"]),
        Route(wire.BALANCE, read("balance", api.balance), methods=["GET"]),
        Route(wire.TRANSACTIONS, read("transactions", api.transactions), methods=["GET"]),
        Route(wire.CREDIT, write("credit", api.credit), methods=["POST"]),
        Route(wire.ALLOCATE, write("allocate", allocate), methods=["POST"]),
        Route(wire.RECLAIM, write("reclaim", reclaim), methods=["POST"]),
        Route(wire.CONSOLE_ALLOCATE, write("allocate", allocate), methods=["POST"]),
        Route(wire.CONSOLE_RECLAIM, write("reclaim", reclaim), methods=["POST"]),
        Route(wire.RESERVE, write("reserve", api.reserve), methods=["POST"]),
        Route(wire.SETTLE, write("settle", api.settle), methods=["POST"]),
    ]
    if gateway_config is not None:
        served = fragment(gateway_config)
        config = read("gateway-config", lambda request, raw, actor: served)
        routes.append(Route(wire.GATEWAY_CONFIG, config, methods=["GET"]))
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_exception})
