"""Ledger errors <-> HTTP statuses and the error envelope, both directions in one place.

The server answers a refusal with :func:`envelope_for` (status, ``error.type``, ``error.code``);
the client turns a non-2xx answer back into the same error class with :func:`error_for`.

    402 policy_violation/budget_exceeded   BudgetExceeded
    422 invalid_request/insufficient_funds InsufficientFunds
    422 invalid_request/validation_error   LedgerRequestInvalid
    404 not_found                          LedgerNotFound
    409 conflict                           LedgerConflict
    401 / 403                              LedgerAuthError (message names the permission)

Also the client's other translations: ``describe`` words an httpx error without ever echoing a
request header value, and ``check_token`` refuses a token that cannot be a header value.
"""

from __future__ import annotations

import httpx

from reconciler.errors import (
    BudgetExceeded,
    InsufficientFunds,
    LedgerAuthError,
    LedgerConfigError,
    LedgerConflict,
    LedgerError,
    LedgerNotFound,
    LedgerRequestInvalid,
)
from reconciler.ledger.wire import ErrorBody

BILLING_PERMISSION = "org:billing"


def envelope_for(exc: LedgerError) -> tuple[int, str, str]:
    """The status, error type and error code the server answers ``exc`` with."""
    if isinstance(exc, BudgetExceeded):
        return 402, "policy_violation", "budget_exceeded"
    if isinstance(exc, InsufficientFunds):
        return 422, "invalid_request", "insufficient_funds"
    if isinstance(exc, LedgerRequestInvalid):
        return 422, "invalid_request", "validation_error"
    if isinstance(exc, LedgerNotFound):
        return 404, "not_found", "not_found"
    if isinstance(exc, LedgerConflict):
        return 409, "conflict", "conflict"
    return 500, "server_error", "internal_error"


def error_for(status: int, body: ErrorBody | None, what: str, *, write: bool) -> LedgerError:
    """The error for a 4xx (or other non-retryable) answer, carrying the server's message."""
    message = " ".join((body.message if body else "").split())[:300]
    detail = f": {message}" if message else ""
    if status == 401:
        need = f"a token with {BILLING_PERMISSION} permission" if write else "an org member's token"
        return LedgerAuthError(
            f"{what}: the ledger refused the credentials (401){detail}; set "
            f"KEEPTRUSTS_API_TOKEN to {need}"
        )
    if status == 403:
        need = (
            f"wallet writes need a token with {BILLING_PERMISSION} permission"
            if write
            else "reads need an org member or billing admin token"
        )
        return LedgerAuthError(f"{what}: permission denied (403): {need}")
    if status == 404:
        return LedgerNotFound(f"{what}: not found (404){detail}")
    if status == 409:
        return LedgerConflict(f"{what}: conflict (409){detail}")
    if status == 402:
        return BudgetExceeded(f"{what}: budget exceeded (402){detail}")
    if status == 422:
        if body is not None and body.code == "insufficient_funds":
            return InsufficientFunds(f"{what}: insufficient funds (422){detail}")
        return LedgerRequestInvalid(f"{what}: request rejected (422){detail}")
    return LedgerError(f"{what}: unexpected HTTP {status} from the ledger{detail}")


TOKEN_VARIABLE = "KEEPTRUSTS_API_TOKEN"


def check_token(token: str, name: str = TOKEN_VARIABLE) -> str:
    """The token, or LedgerConfigError when it cannot be sent as a header value.

    Tokens are printable ASCII. The message names the kind of character, never the token (or
    where in it the character is, which would tell its length).
    """
    for char in token:
        if not char.isascii():
            kind = "a non-ASCII character"
        elif not char.isprintable():
            kind = "a control character"
        else:
            continue
        raise LedgerConfigError(
            f"{name} contains {kind}: tokens are printable ASCII; check how it was set "
            "(a trailing newline or carriage return from a file?); it was not sent"
        )
    return token


# httpx errors whose text is about the socket, TLS or what the server sent, and so cannot
# hold one of our request header values. Every other httpx error (LocalProtocolError above
# all: h11 puts the offending header value in its message) is described by its type alone.
_TEXT_IS_SAFE = (
    httpx.TimeoutException,
    httpx.ConnectError,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


def describe(exc: httpx.HTTPError) -> str:
    """A short description of an httpx error that never carries a request header value."""
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else type(exc).__name__
    if not isinstance(exc, _TEXT_IS_SAFE):
        return kind
    text = " ".join(str(exc).split())[:200]
    return f"{kind}: {text}" if text else kind
