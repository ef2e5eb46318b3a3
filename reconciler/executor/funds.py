"""The organization wallet's available balance as the allocation wave counts it locally.

The wave reads the wallet once, then debits each allocation from the local figure *before* it
is sent, so that however many allocations are in flight, the ones sent can never take the
wallet below headroom together (DESIGN §4.3). A failed allocation (certainly not made) gives
its amount back; an applied, skipped or unknown one keeps it debited, which can only make the
figure lower than the ledger's. When the figure says an allocation would cross headroom, or
the ledger refused one for want of funds, the scheduler lets the allocations in flight finish
and reads the wallet again before it decides: a console top-up during the wave is seen, and an
allocation that would really cross headroom is refused with the ledger's own figure.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler import money
from reconciler.planning.types import Change


@dataclass
class OrgFunds:
    headroom: int
    available: int  # the last read, minus every allocation debited since
    reread: bool = False  # the ledger refused an allocation: read again before deciding

    def fits(self, amount: int) -> bool:
        return not self.reread and self.available - amount >= self.headroom

    def debit(self, amount: int) -> None:
        self.available -= amount

    def give_back(self, amount: int) -> None:
        self.available += amount

    def refresh(self, available: int) -> None:
        self.available = available
        self.reread = False

    def shortfall(self, change: Change) -> str:
        """Why ``change`` is not made, with the figure just read from the ledger."""
        after = self.available - change.amount
        return (
            f"{change.team_id}: allocating {money.format_usd(change.amount)} would take the "
            f"organization wallet to {money.format_usd(after)}, below headroom "
            f"{money.format_usd(self.headroom)}: credit the organization wallet and re-run"
        )
