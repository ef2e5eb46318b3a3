"""Wallet and transaction tables show ledger text escaped: a note cannot forge a row."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reconciler.ledger.base import EntryType, Scope, Transaction
from reconciler.render.wallets import transactions_table


def _entry(note: str, actor: str = "console") -> Transaction:
    return Transaction(
        id="tx_1",
        wallet_id="w_team_a",
        type=EntryType.ALLOCATION_IN,
        amount=1_000_000,
        balance_after=1_000_000,
        note=note,
        created_at=datetime(2026, 11, 28, 12, 0, tzinfo=UTC),
        scope=Scope.TEAM,
        owner_id="team_a",
        actor=actor,
    )


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85", "\n", "\u202e", "\u200b", "\x1b"])
def test_a_note_with_a_separator_or_format_character_stays_on_its_row(char: str) -> None:
    forged = f"fine{char}tx_2  2026-11-28 12:00:00  team  team_b  allocation_in  +9.00"
    table = transactions_table([_entry(forged, actor=f"bob{char}")])
    shown = repr(char)[1:-1]
    assert len(table.splitlines()) == 2
    assert char not in table.replace("\n", "") or char == "\n"
    assert table.splitlines()[1].endswith(
        f"bob{shown}  fine{shown}tx_2  2026-11-28 12:00:00  team  team_b  allocation_in  +9.00"
    )
