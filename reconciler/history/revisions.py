"""The budgets at earlier revisions, read for one plan (DESIGN §4.4, §6).

``Revisions`` reads the budgets at a commit at most once per run; ``last_applied_commit`` is
the commit of the ledger's newest reconciler note (the organization wallet read newest window
first, never its whole history to find last month's apply); ``previous_envelopes`` is each team's
envelope at the commit of its newest movement (only to word reasons); ``routing`` and
``envelopes`` compare the budgets now with ``--base`` or the last applied commit (the
consumer-group mapping changes, with a warning when that revision cannot be read, and each
team's envelope before and now).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from reconciler import git, notes
from reconciler.config import ParseMemo
from reconciler.errors import ConfigError, GitError
from reconciler.ledger.base import Ledger, Observed, Transaction, has_entries_before
from reconciler.model import DesiredState, GatewayConfig
from reconciler.planning.types import RoutingChange, TeamEnvelope

FIRST_WINDOW = timedelta(days=32)


def last_applied_commit(ledger: Ledger, observed: Observed, now: datetime) -> str | None:
    """The commit of the newest reconciler note: this period's team flows first, else the
    organization wallet's (every movement leaves its note there too, ``newest_note_commit``)."""
    found = _newest_commit(flow for obs in observed.teams.values() for flow in obs.flows)
    if found is not None:
        return found
    return newest_note_commit(ledger, observed.org_wallet.id, now)


def newest_note_commit(ledger: Ledger, wallet_id: str, now: datetime) -> str | None:
    """The commit of the wallet's newest reconciler note, read newest window first: its entries
    since 32 days before ``now``, then each window twice as long as the one after it, until one
    holds a note or the wallet has no entry before it. The answer of reading the whole history,
    reading one month of it when the last apply was within the month."""
    until: datetime | None = None
    span = FIRST_WINDOW
    since: datetime | None = now - span
    while True:
        found = _newest_commit(ledger.transactions(wallet_id, since=since, until=until))
        if found is not None or since is None or not has_entries_before(ledger, wallet_id, since):
            return found
        until, span = since, span * 2
        try:
            since = until - span
        except OverflowError:  # before year 1: what is left is the rest of the history
            since = None


def _newest_commit(entries: Iterable[Transaction]) -> str | None:
    """The commit of the newest reconciler note among ``entries`` (ledger order: at the same
    instant, the later one wins)."""
    newest: tuple[datetime, str] | None = None
    for entry in entries:
        note = notes.parse_note(entry.note)
        if note is not None and (newest is None or entry.created_at >= newest[0]):
            newest = (entry.created_at, note.commit)
    return newest[1] if newest else None


class Revisions:
    """The budgets at earlier commits, each read from git at most once per run; HEAD of a clean
    tree is the state already validated (the usual case after an apply: the last applied
    commit is HEAD, so no tree is read from git at all). ``memo`` holds the files this run
    parsed (HEAD's on disk first): a file unchanged since an earlier commit is not parsed again.
    """

    def __init__(
        self,
        directory: Path,
        head: str,
        head_state: DesiredState | None,
        memo: ParseMemo | None = None,
    ) -> None:
        self.directory = directory
        self.head = head
        self.head_state = head_state  # None when the tree is dirty: HEAD is not what is on disk
        self.memo = memo if memo is not None else ParseMemo()
        self._read: dict[str, DesiredState | None] = {}

    def at(self, rev: str) -> DesiredState | None:
        """The budgets at ``rev`` (GitError, ConfigError as ``git.load_at``)."""
        if rev == self.head and self.head_state is not None:
            return self.head_state
        if rev not in self._read:
            self._read[rev] = git.load_at(self.directory, rev, memo=self.memo)
        return self._read[rev]


def routing(
    revisions: Revisions, desired: DesiredState, rev: str | None, base: str | None
) -> tuple[tuple[RoutingChange, ...], str | None]:
    """Consumer-group mapping changes vs ``rev`` (``base``, or the last applied commit when
    ``base`` is None), and a warning when that revision cannot be read."""
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
    revisions: Revisions, desired: DesiredState, rev: str | None
) -> tuple[TeamEnvelope, ...] | None:
    """Every team's envelope at ``rev`` (``--base``, or the last applied commit: what the ledger
    was last brought to) and now; before any apply every team is new. None when that revision
    cannot be read or does not validate (``routing`` already warns)."""
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
