"""Assertions on the sandbox ledger itself, for tests of crashes and concurrent applies.

Balances can hide a mistake that a later run corrected (a movement made twice, then reclaimed);
the entries cannot. So these read every entry:

    with SqliteLedger(db, clock=lambda: T0) as ledger:
        assert allocated_in(ledger) == {"team_a": m(100), "team_b": m(200)}
        assert repeated_op_keys(ledger) == []
        assert org_dips_below(ledger, m(1000)) == []
    code, output = sandbox_check(db, now=NOW)
    assert code == 0, output
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from reconciler import notes
from reconciler.ledger.base import EntryType, Scope, Transaction
from reconciler.sandbox.ledger import SqliteLedger

MOVEMENTS = frozenset({EntryType.ALLOCATION_IN, EntryType.ALLOCATION_OUT})


def team_entries(ledger: SqliteLedger) -> dict[str, list[Transaction]]:
    """Every team wallet's entries, oldest first, by team id."""
    return {
        wallet.owner_id: list(ledger.transactions(wallet.id))
        for wallet in ledger.list_wallets()
        if wallet.scope is Scope.TEAM
    }


def allocated_in(ledger: SqliteLedger) -> dict[str, int]:
    """Σ of each team's ``allocation_in`` entries (micro-USD); teams with none are left out.

    Compared with the envelopes, it catches a doubled allocation even when a later run took
    the excess back (that shows as an extra ``allocation_out``, not a lower sum)."""
    sums: dict[str, int] = {}
    for team_id, entries in team_entries(ledger).items():
        total = sum(e.amount for e in entries if e.type is EntryType.ALLOCATION_IN)
        if total:
            sums[team_id] = total
    return sums


def reclaimed(ledger: SqliteLedger) -> dict[str, int]:
    """Σ of each team's ``allocation_out`` entries (negative micro-USD); none are left out."""
    sums: dict[str, int] = {}
    for team_id, entries in team_entries(ledger).items():
        total = sum(e.amount for e in entries if e.type is EntryType.ALLOCATION_OUT)
        if total:
            sums[team_id] = total
    return sums


def repeated_op_keys(ledger: SqliteLedger) -> list[str]:
    """Op keys found on more than one movement of the team wallets (should be none).

    Movements without a reconciler note (console allocations) have no op key and are skipped."""
    seen: Counter[str] = Counter()
    for entries in team_entries(ledger).values():
        for entry in entries:
            note = notes.parse_note(entry.note) if entry.type in MOVEMENTS else None
            if note is not None:
                seen[note.op_key] += 1
    return sorted(key for key, count in seen.items() if count > 1)


def org_dips_below(ledger: SqliteLedger, headroom: int) -> list[str]:
    """Every point of the organization wallet's history, from its first credit on, where its
    available balance was below ``headroom``: one line per entry, naming it (should be none).

    The running balance is summed from the entries themselves, so each prefix of the history is
    checked, not only the cached ``balance_after``."""
    wallet = ledger.organization_wallet()
    running = 0
    credited = False
    dips: list[str] = []
    for entry in ledger.transactions(wallet.id):
        running += entry.amount
        if running != entry.balance_after:
            dips.append(
                f"{entry.id}: balance_after {entry.balance_after} but entries sum {running}"
            )
        credited = credited or entry.type is EntryType.CREDIT
        if credited and entry.type is not EntryType.CREDIT and running < headroom:
            dips.append(
                f"{entry.id}: {entry.type.value} {entry.amount} left {running} < {headroom}"
            )
    return dips


def sandbox_check(db: Path, *, now: str) -> tuple[int, str]:
    """``reconciler sandbox check --db DB`` as a subprocess: (exit code, stdout + stderr)."""
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "sandbox", "check", "--db", str(db)],
        env={**os.environ, "RECONCILER_NOW": now},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode, result.stdout + result.stderr
