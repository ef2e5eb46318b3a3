"""Wallets and transactions as aligned text tables (rich; colour only on a TTY without NO_COLOR).

Tables are rendered to a string with no wrapping and no trailing spaces, so the text output of
a ledger is stable (tests compare it exactly) and greps well. Ids, actors and notes go through
``text.printable``: a note cannot forge a row or drive the terminal.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.clock import table_time
from reconciler.ledger.base import Transaction, Wallet
from reconciler.money import format_usd
from reconciler.render.terminal import render_table
from reconciler.text import printable


def wallets_table(wallets: Iterable[Wallet], *, color: bool = False) -> str:
    headers = ("SCOPE", "OWNER", "BALANCE", "RESERVED", "AVAILABLE", "ALLOCATED", "SPENT", "STATUS")
    rows = [
        (
            w.scope.value,
            printable(w.owner_id),
            format_usd(w.balance),
            format_usd(w.reserved),
            format_usd(w.available),
            format_usd(w.total_allocated),
            format_usd(w.total_spent),
            w.status.value,
        )
        for w in wallets
    ]
    return render_table(headers, rows, right=headers[2:7], color=color)


def transactions_table(entries: Iterable[Transaction], *, color: bool = False) -> str:
    headers = ("ID", "TIME (UTC)", "SCOPE", "OWNER", "TYPE", "AMOUNT", "BALANCE", "ACTOR", "NOTE")
    rows = [
        (
            printable(e.id),
            table_time(e.created_at),
            e.scope.value if e.scope else "",
            printable(e.owner_id),
            e.type.value,
            format_usd(e.amount, sign=True),
            format_usd(e.balance_after),
            printable(e.actor),
            printable(e.note or (f"request {e.request_id}" if e.request_id else "")),
        )
        for e in entries
    ]
    return render_table(headers, rows, right=("AMOUNT", "BALANCE"), color=color)
