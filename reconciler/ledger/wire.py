"""Every wire field name and JSON shape of the wallet HTTP API, in one module.

Both the client (``http.py``) and the sandbox server (``server.py``) speak through here, so
matching the real Keeptrusts service, once its exact shapes are known, is a change to this file
(and ``schemas/wallet-api.openapi.yaml``). Fields the public docs do not show are marked
``x-inferred: true`` in that document.

Amounts travel as JSON **numbers** with up to 6 decimal places (the docs show
``"amount": 5000.00``). ``exactjson`` parses them as Decimal and writes them as exact number
tokens (``5000.00``, ``0.000001``): never through a binary float.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from reconciler import exactjson
from reconciler.exactjson import Number as Number
from reconciler.exactjson import dumps as dumps
from reconciler.ledger.base import EntryType, Reservation, Scope, Transaction, Wallet, WalletStatus
from reconciler.money import CURRENCY, AmountError, decimal_str, to_micros

# Routes (path templates) and the idempotency header.
WALLETS = "/v1/wallets"
BALANCE = "/v1/wallets/balance"
TRANSACTIONS = "/v1/wallets/{wallet_id}/transactions"
CREDIT = "/v1/wallets/credit"
ALLOCATE = "/v1/wallets/allocate"
RECLAIM = "/v1/wallets/reclaim"
RESERVE = "/v1/gateway/wallets/reserve"
SETTLE = "/v1/gateway/wallets/settle"
CONSOLE_ALLOCATE = "/api/wallets/allocate"
CONSOLE_RECLAIM = "/api/wallets/reclaim"
GATEWAY_CONFIG = "/keeptrusts/config"  # served by a running gateway, not the control plane
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"  # "true" on an answer that replays an earlier write

JSONValue = Any  # what json.loads returns; only this module indexes it


class WireError(ValueError):
    """A JSON body that does not have the expected shape. The message names the field."""


def amount(micros: int) -> Number:
    """The wire form of an amount: a JSON number with 2 to 6 decimals."""
    return Number(decimal_str(micros))


def loads(data: bytes | str) -> JSONValue:
    """Parse JSON exactly (see ``exactjson``); WireError when it is not JSON."""
    try:
        return exactjson.loads(data)
    except exactjson.JSONSyntaxError as exc:
        raise WireError(str(exc)) from exc


# ---------------------------------------------------------------------------------------------
# Timestamps


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds: ``2026-11-28T15:17:06.123456Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str, field: str = "timestamp") -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, AttributeError) as exc:
        shown = exactjson.clip(text) if isinstance(text, str) else text
        raise WireError(f"{field}: {shown!r} is not an RFC 3339 date-time") from exc
    if moment.tzinfo is None:
        raise WireError(f"{field}: {exactjson.clip(text)!r} has no time zone (use Z)")
    return moment.astimezone(UTC)


# ---------------------------------------------------------------------------------------------
# Request bodies (client writes, server reads)


def movement_body(amount_micros: int, note: str, team_id: str | None = None) -> dict[str, object]:
    """``credit`` (no team) / ``allocate`` / ``reclaim``: ``{team_id, amount, currency, note}``."""
    body: dict[str, object] = {}
    if team_id is not None:
        body["team_id"] = team_id
    body.update(amount=amount(amount_micros), currency=CURRENCY, note=note)
    return body


def reserve_body(
    request_id: str,
    estimated_cost: int,
    *,
    user_id: str | None = None,
    team_id: str | None = None,
    consumer_group: str | None = None,
    timeout_seconds: int | None = None,
) -> dict[str, object]:
    body: dict[str, object] = {"request_id": request_id}
    for key, value in (
        ("user_id", user_id),
        ("team_id", team_id),
        ("consumer_group", consumer_group),
        ("timeout_seconds", timeout_seconds),
    ):
        if value is not None:
            body[key] = value
    body["estimated_cost"] = amount(estimated_cost)
    return body


def settle_body(reservation_id: str, actual_cost: int) -> dict[str, object]:
    return {"reservation_id": reservation_id, "actual_cost": amount(actual_cost)}


@dataclass(frozen=True, slots=True)
class MovementRequest:
    team_id: str | None
    amount: int
    note: str


@dataclass(frozen=True, slots=True)
class ReserveRequest:
    request_id: str
    estimated_cost: int
    user_id: str | None
    team_id: str | None
    consumer_group: str | None
    timeout_seconds: int | None


@dataclass(frozen=True, slots=True)
class SettleRequest:
    reservation_id: str
    actual_cost: int


def parse_movement(body: JSONValue) -> MovementRequest:
    """A schema-valid credit/allocate/reclaim body; precision is checked here."""
    return MovementRequest(
        team_id=body.get("team_id"),
        amount=_micros(body["amount"], "amount"),
        note=body.get("note", ""),
    )


def parse_reserve(body: JSONValue) -> ReserveRequest:
    return ReserveRequest(
        request_id=body["request_id"],
        estimated_cost=_micros(body["estimated_cost"], "estimated_cost"),
        user_id=body.get("user_id"),
        team_id=body.get("team_id"),
        consumer_group=body.get("consumer_group"),
        timeout_seconds=body.get("timeout_seconds"),
    )


def parse_settle(body: JSONValue) -> SettleRequest:
    return SettleRequest(
        reservation_id=body["reservation_id"],
        actual_cost=_micros(body["actual_cost"], "actual_cost"),
    )


def _micros(value: JSONValue, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise WireError(f"{field}: expected a number, got {exactjson.clip(repr(value))}")
    try:
        return to_micros(value)
    except AmountError as exc:
        exponent = value.as_tuple().exponent if isinstance(value, Decimal) else 0
        plain = isinstance(exponent, int) and abs(exponent) <= 64
        shown = exactjson.clip(format(value, "f") if plain else str(value))
        raise WireError(f"{field}: {shown} has more than 6 decimal places") from exc


# ---------------------------------------------------------------------------------------------
# Response bodies (server writes, client reads)


def wallet_json(wallet: Wallet) -> dict[str, object]:
    return {
        "id": wallet.id,
        "scope": wallet.scope.value,
        "owner_id": wallet.owner_id,
        "name": wallet.name,
        "currency": wallet.currency,
        "balance": amount(wallet.balance),
        "reserved": amount(wallet.reserved),
        "available": amount(wallet.available),
        "total_allocated": amount(wallet.total_allocated),
        "total_spent": amount(wallet.total_spent),
        "status": wallet.status.value,
    }


def transaction_json(entry: Transaction) -> dict[str, object]:
    return {
        "id": entry.id,
        "wallet_id": entry.wallet_id,
        "type": entry.type.value,
        "amount": amount(entry.amount),
        "balance_after": amount(entry.balance_after),
        "note": entry.note,
        "created_at": timestamp(entry.created_at),
        "scope": entry.scope.value if entry.scope else None,
        "owner_id": entry.owner_id,
        "request_id": entry.request_id,
        "actor": entry.actor,
        # Gateway holds only (the request's attribution; x-inferred), so usage over HTTP
        # attributes spend as the embedded ledger does.
        **{
            key: value
            for key, value in (
                ("user_id", entry.user_id),
                ("team_id", entry.team_id),
                ("consumer_group", entry.consumer_group),
            )
            if value is not None
        },
    }


def wallets_json(wallets: list[Wallet]) -> dict[str, object]:
    return {"wallets": [wallet_json(w) for w in wallets]}


def balance_json(cascade: list[Wallet]) -> dict[str, object]:
    """``GET /v1/wallets/balance``: the cascade (user, team, org; existing wallets only)."""
    effective = next((w for w in cascade if w.available > 0), cascade[-1] if cascade else None)
    return {
        "effective_scope": effective.scope.value if effective else None,
        "cascade": [wallet_json(w) for w in cascade],
    }


def transactions_json(entries: list[Transaction], next_cursor: str | None) -> dict[str, object]:
    return {"transactions": [transaction_json(e) for e in entries], "next_cursor": next_cursor}


def transaction_response(entry: Transaction) -> dict[str, object]:
    return {"transaction": transaction_json(entry)}


def replay_headers(entry: Transaction) -> dict[str, str]:
    """Response headers of a write: ``Idempotent-Replayed: true`` when it was a replay."""
    return {REPLAYED_HEADER: "true"} if entry.replayed else {}


def is_replay(headers: Mapping[str, str]) -> bool:
    """Whether a write's response headers say it replayed an earlier write."""
    return headers.get(REPLAYED_HEADER, "").strip().lower() == "true"


def reservation_json(reservation: Reservation) -> dict[str, object]:
    return {
        "reservation_id": reservation.reservation_id,
        "wallet_id": reservation.wallet_id,
        "scope": reservation.scope.value,
    }


def error_json(type_: str, code: str, message: str, policy: str | None = None) -> dict[str, object]:
    error: dict[str, object] = {"type": type_, "code": code, "message": message}
    if policy is not None:
        error["policy"] = policy
    return {"error": error}


def parse_wallet(data: JSONValue) -> Wallet:
    try:
        return Wallet(
            id=str(data["id"]),
            scope=Scope(data["scope"]),
            owner_id=str(data["owner_id"]),
            name=str(data.get("name") or ""),
            currency=str(data.get("currency") or CURRENCY),
            balance=_micros(data["balance"], "balance"),
            reserved=_micros(data.get("reserved", 0), "reserved"),
            total_allocated=_micros(data.get("total_allocated", 0), "total_allocated"),
            total_spent=_micros(data.get("total_spent", 0), "total_spent"),
            status=WalletStatus(data.get("status", WalletStatus.HEALTHY.value)),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WireError(f"unexpected wallet object: {exc}") from exc


def parse_transaction(data: JSONValue) -> Transaction:
    try:
        scope = data.get("scope")
        return Transaction(
            id=str(data["id"]),
            wallet_id=str(data["wallet_id"]),
            type=EntryType(data["type"]),
            amount=_micros(data["amount"], "amount"),
            balance_after=_micros(data["balance_after"], "balance_after"),
            note=data.get("note"),
            created_at=parse_timestamp(data["created_at"], "created_at"),
            scope=Scope(scope) if scope else None,
            owner_id=data.get("owner_id"),
            request_id=data.get("request_id"),
            actor=data.get("actor"),
            user_id=data.get("user_id"),
            team_id=data.get("team_id"),
            consumer_group=data.get("consumer_group"),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WireError(f"unexpected transaction object: {exc}") from exc


def parse_wallets(data: JSONValue) -> list[Wallet]:
    return [parse_wallet(item) for item in _list(data, "wallets")]


def parse_balance(data: JSONValue) -> list[Wallet]:
    return [parse_wallet(item) for item in _list(data, "cascade")]


def parse_transactions(data: JSONValue) -> tuple[list[Transaction], str | None]:
    cursor = data.get("next_cursor") if isinstance(data, dict) else None
    return [parse_transaction(item) for item in _list(data, "transactions")], cursor or None


def parse_transaction_response(data: JSONValue) -> Transaction:
    if not isinstance(data, dict) or "transaction" not in data:
        raise WireError("response has no 'transaction' object")
    return parse_transaction(data["transaction"])


def parse_reservation(data: JSONValue) -> Reservation:
    try:
        return Reservation(
            reservation_id=str(data["reservation_id"]),
            wallet_id=str(data["wallet_id"]),
            scope=Scope(data["scope"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise WireError(f"unexpected reservation object: {exc}") from exc


@dataclass(frozen=True, slots=True)
class ErrorBody:
    type: str
    code: str
    message: str
    policy: str | None


def parse_error(data: bytes) -> ErrorBody | None:
    """The error envelope of a response body, or None when the body is not one."""
    try:
        error = loads(data)["error"]
        return ErrorBody(
            type=str(error.get("type", "")),
            code=str(error.get("code", "")),
            message=str(error.get("message", "")),
            policy=error.get("policy"),
        )
    except (WireError, KeyError, TypeError, AttributeError):
        return None


def _list(data: JSONValue, key: str) -> list[JSONValue]:
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise WireError(f"response has no {key!r} list")
    items: list[JSONValue] = data[key]
    return items
