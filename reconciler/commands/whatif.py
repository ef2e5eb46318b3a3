"""``reconciler whatif``: replay the last periods' recorded spend against the envelopes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from reconciler import clock as clocks
from reconciler import git, history, workflow
from reconciler.commands.console import warn
from reconciler.commands.options import budgets_dir_argument, ledger_options
from reconciler.commands.usage import _repo_root
from reconciler.errors import EXIT_CODES_HELP, ConfigError, GitError, UsageError
from reconciler.ledger.base import Ledger
from reconciler.model import DesiredState
from reconciler.periods import period_at
from reconciler.render.whatif import FORMATS, render_whatif
from reconciler.whatif import Report, compare
from reconciler.whatif_history import periods_to_replay, read_history

DEFAULT_PERIODS = 3


@click.command(epilog=EXIT_CODES_HELP)
@budgets_dir_argument
@ledger_options
@click.option(
    "--periods",
    "count",
    default=DEFAULT_PERIODS,
    show_default=True,
    type=click.IntRange(0, 36),
    help="How many completed periods to replay.",
)
@click.option("--current", is_flag=True, help="Also replay the current period, up to now.")
@click.option(
    "--base",
    metavar="REV",
    help="Compare with the budgets at REV (default: the last applied commit).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
def whatif(
    budgets_dir: Path,
    ledger_url: str | None,
    insecure: bool,
    count: int,
    current: bool,
    base: str | None,
    fmt: str,
) -> None:
    """Replay the last periods' spend against the envelopes in DIR, next to those at --base.

    Each period starts with every team wallet brought to its envelope by the planner's own
    rule (carry, rollover, balance mode, protect, tombstones); the recorded gateway requests
    then run again through the wallet cascade. Per team and period: when the wallet would have
    run out, the spend that would have fallen through to the organization wallet (or been
    refused), and the credits left unused at the end. Nothing is written (docs/whatif.md).

    \b
    Example:
      reconciler whatif budgets/
      reconciler whatif budgets/ --periods 6 --base main --format markdown
      reconciler whatif budgets/ --periods 0 --current
    """
    clock = clocks.clock_from_env()
    desired, warnings = workflow.load_budgets(budgets_dir)
    warn(warnings)
    now = clock()
    periods_to_replay(desired.organization.period, now, count, current=current)  # bad: fail early
    target = workflow.ledger_target(ledger_url, desired, _repo_root(budgets_dir))
    with workflow.opened(target, insecure=insecure, clock=clock) as ledger:
        workflow.organization_wallet(ledger, desired.organization.id)
        result = make_report(
            budgets_dir, desired, ledger, now, count=count, current=current, base=base
        )
    warn(result.notes)
    click.echo(render_whatif(result, fmt), nl=False)


def make_report(
    budgets_dir: Path,
    desired: DesiredState,
    ledger: Ledger,
    now: datetime,
    *,
    count: int,
    base: str | None,
    current: bool = False,
) -> Report:
    """The what-if of ``desired`` against ``base`` (default: the last applied commit)."""
    periods = periods_to_replay(desired.organization.period, now, count, current=current)
    notes: list[str] = []
    base_state, base_commit = _base(budgets_dir, desired, ledger, now, base, notes)
    history = read_history(ledger, desired, periods, as_of=now)
    first = history.first_entry
    kept = tuple(h for h in history.periods if first is not None and h.period.end > first)
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


def _base(
    budgets_dir: Path,
    desired: DesiredState,
    ledger: Ledger,
    now: datetime,
    base: str | None,
    notes: list[str],
) -> tuple[DesiredState | None, str | None]:
    if base is None:
        observed = workflow.observe(ledger, desired, period_at(desired.organization.period, now))
        base = history.last_applied_commit(ledger, observed)
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
