"""The budgets at earlier revisions, read for one plan (DESIGN §4.4, §6).

``Revisions`` reads the budgets at a commit at most once per run; ``last_applied_commit`` is
the commit of the ledger's newest reconciler note; ``previous_envelopes`` is each team's
envelope at the commit of its newest movement (only to word reasons); ``routing`` and
``envelopes`` compare the budgets now with ``--base`` or the last applied commit (the
consumer-group mapping changes, with a warning when that revision cannot be read, and each
team's envelope before and now).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from reconciler import git, notes
from reconciler.errors import ConfigError, GitError
from reconciler.ledger.base import Ledger, Observed
from reconciler.model import DesiredState, GatewayConfig
from reconciler.planning.types import RoutingChange, TeamEnvelope


def last_applied_commit(ledger: Ledger, observed: Observed) -> str | None:
    """The commit of the newest reconciler note: this period's team flows first, else the
    organization wallet's whole history (every movement leaves its note there too)."""
    newest: tuple[datetime, str] | None = None
    for obs in observed.teams.values():
        for flow in obs.flows:
            note = notes.parse_note(flow.note)
            if note is not None and (newest is None or flow.created_at >= newest[0]):
                newest = (flow.created_at, note.commit)
    if newest is not None:
        return newest[1]
    for entry in ledger.transactions(observed.org_wallet.id):
        note = notes.parse_note(entry.note)
        if note is not None and (newest is None or entry.created_at >= newest[0]):
            newest = (entry.created_at, note.commit)
    return newest[1] if newest else None


class Revisions:
    """The budgets at earlier commits, each read from git at most once per run; HEAD of a clean
    tree is the state already validated (the usual case after an apply: the last applied
    commit is HEAD, so no tree is read from git at all)."""

    def __init__(self, directory: Path, head: str, head_state: DesiredState | None) -> None:
        self.directory = directory
        self.head = head
        self.head_state = head_state  # None when the tree is dirty: HEAD is not what is on disk
        self._read: dict[str, DesiredState | None] = {}

    def at(self, rev: str) -> DesiredState | None:
        """The budgets at ``rev`` (GitError, ConfigError as ``git.load_at``)."""
        if rev == self.head and self.head_state is not None:
            return self.head_state
        if rev not in self._read:
            self._read[rev] = git.load_at(self.directory, rev)
        return self._read[rev]


def routing(
    revisions: Revisions,
    desired: DesiredState,
    ledger: Ledger,
    observed: Observed,
    base: str | None,
) -> tuple[tuple[RoutingChange, ...], str | None]:
    """Consumer-group mapping changes vs ``base`` (or the last applied commit), and a warning
    when that revision cannot be read."""
    rev = base if base is not None else last_applied_commit(ledger, observed)
    if rev is None:
        return routing_changes(None, desired.gateway), None
    try:
        before = revisions.at(rev)
    except GitError as exc:
        if base is not None:
            raise
        return (), f"routing changes not shown: last applied commit {rev[:7]} unreadable ({exc})"
    except ConfigError:
        return (), f"routing changes not shown: the budgets at {rev[:7]} do not validate"
    gateway_before = before.gateway if before is not None else None
    return routing_changes(gateway_before, desired.gateway), None


def previous_envelopes(revisions: Revisions, observed: Observed) -> dict[str, int]:
    """Each team's envelope at the commit of its newest reconciler movement this period.

    Only used to word reasons ("envelope raised X → Y" is said only when X was the envelope the
    last apply brought the team to). A commit that cannot be read or does not validate, or a
    team absent there, leaves the team out (the reason is then worded neutrally).
    """
    newest: dict[str, str] = {}
    for team_id, obs in observed.teams.items():
        for flow in obs.flows:  # ledger order: the last one wins
            note = notes.parse_note(flow.note)
            if note is not None:
                newest[team_id] = note.commit
    result: dict[str, int] = {}
    for commit in sorted(set(newest.values())):
        try:
            before = revisions.at(commit)
        except (GitError, ConfigError):
            continue
        if before is None:
            continue
        envelopes = {t.id: t.envelope for t in before.teams if not t.removed}
        for team_id, team_commit in newest.items():
            if team_commit == commit and team_id in envelopes:
                result[team_id] = envelopes[team_id]
    return result


def envelopes(
    revisions: Revisions,
    desired: DesiredState,
    ledger: Ledger,
    observed: Observed,
    base: str | None,
) -> tuple[TeamEnvelope, ...] | None:
    """Every team's envelope at ``base`` (or the last applied commit: what the ledger was last
    brought to) and now; before any apply every team is new. None when that revision cannot be
    read or does not validate (``routing`` already warns)."""
    rev = base if base is not None else last_applied_commit(ledger, observed)
    try:
        before = revisions.at(rev) if rev is not None else None
    except (GitError, ConfigError):
        return None
    old = {t.id: t.envelope for t in before.teams if not t.removed} if before else {}
    new = {t.id: t.envelope for t in desired.teams if not t.removed}
    return tuple(TeamEnvelope(i, old.get(i), new.get(i)) for i in sorted(old.keys() | new.keys()))


def routing_changes(
    before: GatewayConfig | None, after: GatewayConfig | None
) -> tuple[RoutingChange, ...]:
    """Consumer-group -> team-wallet mapping differences, sorted by consumer group id."""
    old = {g.id: g.wallet_team_id for g in before.consumer_groups} if before else {}
    new = {g.id: g.wallet_team_id for g in after.consumer_groups} if after else {}
    return tuple(
        RoutingChange(group, old.get(group), new.get(group))
        for group in sorted(old.keys() | new.keys())
        if old.get(group) != new.get(group)
    )
