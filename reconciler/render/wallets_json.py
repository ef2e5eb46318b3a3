"""Wallets and transactions as JSON documents (``format_version`` 1), shared by CLI and server.

Amounts are signed decimal strings (``"-500.00"``, ``"0.001234"``), never numbers; times are
ISO-8601 UTC with ``Z`` (microseconds only when there are any).

    {"format_version": 1, "wallets": [{"id", "scope", "owner_id", "name", "currency",
        "balance", "reserved", "available", "total_allocated", "total_spent", "status"}]}
    {"format_version": 1, "transactions": [{"id", "wallet_id", "scope", "owner_id", "type",
        "amount", "balance_after", "note", "created_at", "request_id", "actor"}]}
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from reconciler.clock import iso_utc
from reconciler.ledger.base import Transaction, Wallet
from reconciler.money import decimal_str

FORMAT_VERSION = 1

JsonObject = dict[str, object]


def wallet_json(wallet: Wallet) -> JsonObject:
    return {
        "id": wallet.id,
        "scope": wallet.scope.value,
        "owner_id": wallet.owner_id,
        "name": wallet.name,
        "currency": wallet.currency,
        "balance": decimal_str(wallet.balance),
        "reserved": decimal_str(wallet.reserved),
        "available": decimal_str(wallet.available),
        "total_allocated": decimal_str(wallet.total_allocated),
        "total_spent": decimal_str(wallet.total_spent),
        "status": wallet.status.value,
    }


def transaction_json(entry: Transaction) -> JsonObject:
    return {
        "id": entry.id,
        "wallet_id": entry.wallet_id,
        "scope": entry.scope.value if entry.scope else None,
        "owner_id": entry.owner_id,
        "type": entry.type.value,
        "amount": decimal_str(entry.amount),
        "balance_after": decimal_str(entry.balance_after),
        "note": entry.note,
        "created_at": iso_utc(entry.created_at),
        "request_id": entry.request_id,
        "actor": entry.actor,
    }


def wallets_document(wallets: Iterable[Wallet]) -> JsonObject:
    return {"format_version": FORMAT_VERSION, "wallets": [wallet_json(w) for w in wallets]}


def transactions_document(entries: Iterable[Transaction]) -> JsonObject:
    return {
        "format_version": FORMAT_VERSION,
        "transactions": [transaction_json(e) for e in entries],
    }


def dumps(document: JsonObject) -> str:
    """Stable JSON text: two-space indent, keys in their documented order, UTF-8 kept."""
    return json.dumps(document, indent=2, ensure_ascii=False)
