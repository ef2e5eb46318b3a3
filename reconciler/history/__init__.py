"""What the repository's history says (DESIGN §4.4, §6).

Plan facts: ``read`` gathers what one plan needs from the past as a ``History`` value: when
each team came under management (``git.managed_since``, for the teams whose decision depends on
it), each team's envelope at the commit of
its newest reconciler movement (``revisions.previous_envelopes``: only to word reasons), and the
consumer-group routing changes against ``--base`` or the last applied commit
(``revisions.routing``, with a warning when that revision cannot be read).

Audit facts: ``commits.commit_log`` (every commit of a branch, in one pass) and
``envelopes.envelope_history`` / ``envelopes.budgets_along`` (each team's envelope along the
branch's first parents); re-exported here.

A shallow clone is refused first (``git.check_full_history``): its history would be cut short.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from reconciler import git
from reconciler.history.commits import CommitFacts, CommitLog, commit_log, pr_number
from reconciler.history.envelopes import EnvelopeChange, budgets_along, envelope_history
from reconciler.history.revisions import (
    Revisions,
    envelopes,
    last_applied_commit,
    newest_note_commit,
    previous_envelopes,
    routing,
    routing_changes,
)
from reconciler.ledger.base import Ledger, Observed
from reconciler.model import DesiredState
from reconciler.planning.rules import needs_managed_since
from reconciler.planning.types import RoutingChange, TeamEnvelope

__all__ = [
    "CommitFacts",
    "CommitLog",
    "EnvelopeChange",
    "History",
    "Revisions",
    "budgets_along",
    "commit_log",
    "envelope_history",
    "envelopes",
    "last_applied_commit",
    "newest_note_commit",
    "pr_number",
    "previous_envelopes",
    "read",
    "routing",
    "routing_changes",
]


def read(
    directory: Path,
    desired: DesiredState,
    ledger: Ledger,
    observed: Observed,
    *,
    commit: str,
    dirty: bool,
    now: datetime,
    base: str | None = None,
    with_routing: bool = True,
    revisions: Revisions | None = None,
) -> tuple[History, tuple[str, ...]]:
    """The ``History`` of the budgets in ``directory`` for a plan against ``observed`` at
    ``commit`` (as of ``now``), and warnings for stderr (a routing base that cannot be read).
    ``revisions``: the run's cache of the budgets at earlier commits (one is made if None)."""
    if revisions is None:
        revisions = Revisions(directory, commit, None if dirty else desired)
    changes: tuple[RoutingChange, ...] = ()
    warning: str | None = None
    before: tuple[TeamEnvelope, ...] | None = None
    if with_routing:
        rev = base if base is not None else last_applied_commit(ledger, observed, now)
        changes, warning = routing(revisions, desired, rev, base)
        before = envelopes(revisions, desired, rev)
    facts = History(
        commit=commit,
        dirty=dirty,
        managed_since=git.managed_since(directory, _undecided(desired, observed)),
        previous_envelopes=previous_envelopes(revisions, observed),
        routing=changes,
        envelopes=before,
    )
    return facts, (warning,) if warning else ()


def _undecided(desired: DesiredState, observed: Observed) -> list[str]:
    """The teams whose decision depends on when they came under management (``git log`` is
    not run at all when there are none: every team's period flows are reconciler movements)."""
    return [t.id for t in desired.teams if needs_managed_since(observed.teams.get(t.id))]


@dataclass(frozen=True, slots=True)
class History:
    """What the repository's past says, for one plan (``reconciler.history.read`` builds it).

    ``commit`` and ``dirty`` go into every note; ``managed_since`` (team -> when its Team document
    first reached the branch; ``read`` looks it up only for the teams whose decision depends on
    it, ``planning.rules.needs_managed_since``) decides adoption; ``previous_envelopes`` (team ->
    envelope at the commit of its newest reconciler movement) only decides whether a reason may
    say "envelope raised/lowered"; ``routing`` is the consumer-group mapping changes, which move
    no money; ``envelopes`` is each team's envelope at the routing base and now (the comment's
    cost diff).
    """

    commit: str
    dirty: bool = False
    managed_since: Mapping[str, datetime] = field(default_factory=dict)
    previous_envelopes: Mapping[str, int] | None = None
    routing: tuple[RoutingChange, ...] = ()
    envelopes: tuple[TeamEnvelope, ...] | None = None
