"""Run exactly one plan against a ledger, safely and resumably (DESIGN §4.3, §5, §8).

All reclaims first, then all allocations, each wave with at most ``concurrency`` movements in
flight (``waves``; default 16, ``RECONCILER_APPLY_CONCURRENCY=1`` runs them one after another).
For each change (``movement``):

1. re-read the team's allocation flows in the period (only that team, only the period);
2. skip it when a flow already carries its op key (a resumed run);
3. stop the team when its flows changed since the plan (flows carrying this plan's op keys do
   not count), so a concurrent console movement or another apply is never fought;
4. re-clamp a reclaim to the available balance just read. An allocation is debited from the
   organization's available balance, read once for the wave and counted locally (``funds``),
   before it is sent; one that would take the wallet below the plan's headroom is refused
   after the movements in flight have finished and the wallet was read again;
5. send the movement with its note and ``idempotency_key=op_key``; when the outcome is unknown
   (``LedgerUnavailable``, including ``AmbiguousWrite``) search the team wallet for the op key
   before any retry, with bounded exponential backoff and jitter. A movement is never made twice.
   A movement answered by an idempotent replay (``Transaction.replayed``: a concurrent run
   with the same plan made it first) is reported as skipped, not applied.

The result records every change as applied, skipped, failed or not attempted, in the plan's
order. ``apply`` never raises for a ledger error on one movement: the CLI turns the result into
an exit code.
"""

from __future__ import annotations

from reconciler.clock import Clock
from reconciler.executor.movement import Mover
from reconciler.executor.results import ApplyResult, Progress, StepResult, StepStatus
from reconciler.executor.waves import CONCURRENCY_ENV, Waves, default_concurrency
from reconciler.ledger.base import Ledger
from reconciler.ledger.retry import RetryPolicy
from reconciler.planning.types import Plan

__all__ = [
    "CONCURRENCY_ENV",
    "ApplyResult",
    "Progress",
    "StepResult",
    "StepStatus",
    "apply",
]


def apply(
    plan: Plan,
    ledger: Ledger,
    *,
    clock: Clock,
    progress: Progress | None = None,
    retry: RetryPolicy | None = None,
    concurrency: int | None = None,
) -> ApplyResult:
    """Run ``plan``'s changes against ``ledger``; never raises for a single movement's failure.

    ``concurrency`` is how many movements of a wave may be in flight (default
    ``RECONCILER_APPLY_CONCURRENCY``, else 16)."""
    mover = Mover(plan, ledger, clock, retry or RetryPolicy())
    limit = default_concurrency() if concurrency is None else concurrency
    return Waves(mover, limit, progress).run()
