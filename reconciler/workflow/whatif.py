"""``whatif`` and ``plan --whatif``: the budgets replayed over past periods next to the budgets
at a base revision (default: the last applied commit)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from reconciler import git, history
from reconciler.errors import (
    ConfigError,
    GitError,
    ReconcilerError,
    UsageError,
)
from reconciler.ledger.base import Ledger
from reconciler.model import DesiredState
from reconciler.periods import period_at
from reconciler.whatif import Report, compare
from reconciler.whatif_history import periods_to_replay, read_history, replayable
from reconciler.workflow.budgets import Budgets
from reconciler.workflow.ledgers import observe


def whatif_report(
    budgets_dir: Path,
    desired: DesiredState,
    ledger: Ledger,
    now: datetime,
    *,
    count: int,
    base: str | None,
    current: bool = False,
) -> Report:
    """``whatif``: ``desired`` replayed over the last ``count`` periods (and the current one so
    far when ``current``) next to the budgets at ``base`` (default: the last applied commit)."""
    periods = periods_to_replay(desired.organization.period, now, count, current=current)
    notes: list[str] = []
    base_state, base_commit = _whatif_base(budgets_dir, desired, ledger, now, base, notes)
    recorded = read_history(ledger, desired, periods, as_of=now)
    first = recorded.first_entry
    kept = replayable(recorded)
    if not kept:
        raise UsageError(
            f"the ledger has no entries before {min(periods[-1].end, now):%Y-%m-%d}: no period "
            "to replay yet (run it after a period with spend has ended, or pass --current)"
        )
    if len(kept) < len(periods):
        assert first is not None
        notes.append(
            f"only {len(kept)} of the {len(periods)} periods have history (the ledger starts "
            f"{first:%Y-%m-%d}): replayed {', '.join(h.period.id for h in kept)}"
        )
    return compare(
        desired,
        kept,
        base=base_state,
        base_commit=base_commit,
        notes=tuple(notes),
        as_of=now if current else None,
    )


def _whatif_base(
    budgets_dir: Path,
    desired: DesiredState,
    ledger: Ledger,
    now: datetime,
    base: str | None,
    notes: list[str],
) -> tuple[DesiredState | None, str | None]:
    if base is None:
        observed = observe(ledger, desired, period_at(desired.organization.period, now))
        base = history.last_applied_commit(ledger, observed, now)
        if base is None:
            notes.append(
                "no reconciler movement in the ledger yet: only the envelopes in "
                f"{budgets_dir} are replayed (pass --base REV to compare)"
            )
            return None, None
    sha = git.resolve_revision(budgets_dir, base)
    try:
        state = git.load_at(budgets_dir, sha)
    except ConfigError as exc:
        raise ConfigError(
            f"the budgets at {base} ({sha[:7]}) do not validate ({exc}): pass another --base"
        ) from exc
    if state is None:
        raise GitError(f"{budgets_dir} did not exist at {base} ({sha[:7]}): pass a later --base")
    return state, sha


def plan_whatif(
    budgets: Budgets, ledger: Ledger, *, now: datetime, periods: int, base: str | None
) -> tuple[Report | None, tuple[str, ...]]:
    """``plan --whatif N``: the what-if of the plan's budgets against ``base`` (default: the
    last applied commit) and its notes. When it cannot be made (no history yet, period: none,
    an unreadable base) the plan goes on without it and a note says why."""
    try:
        report = whatif_report(
            budgets.directory, budgets.desired, ledger, now, count=periods, base=base
        )
    except ReconcilerError as exc:
        return None, (f"what-if not shown: {exc}",)
    return report, report.notes
