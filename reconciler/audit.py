"""The audit trail: every allocate and reclaim on a team wallet traced to its commit (DESIGN §4.4).

``classify`` takes the team side of each allocation pair (``allocation_in`` = allocate,
``allocation_out`` = reclaim), the branch's commit facts (``history.CommitLog``) and when each
team came under management (``git.managed_since``), and returns one ``Movement`` per entry plus
the ``Finding`` list. Which class a flow is in is the planner's own rule
(``planning.drift.flow_kind``); notes are read with ``notes.parse_note`` only.

Classes: ``reconciler`` (a note that parses), ``adopted`` (no note, before the team came under
management: counted, never a finding), ``out_of_band`` (no note, after).

Findings: ``out_of_band``, ``unknown_commit`` (the note's commit is not in the repository),
``not_on_branch`` (it is, but the branch does not reach it), ``malformed_note`` (starts like a
reconciler note but does not parse), ``unapplied`` (a branch commit changed an envelope and no
reconciler movement on that team names it or a later branch commit), ``dirty`` (applied from an
uncommitted tree), ``override`` (applied past a guard; the reason is in the message).
``mismatch`` (an apply that left a team off its commit's envelope) is ``reconciler.mismatch``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from reconciler import money, notes
from reconciler.history import CommitFacts, CommitLog, EnvelopeChange
from reconciler.ledger.base import EntryType, Ledger, Scope, Transaction, Wallet
from reconciler.planning.drift import DRIFT, OURS, flow_kind

FORMAT_VERSION = 1
ACTIONS = {EntryType.ALLOCATION_IN: "allocate", EntryType.ALLOCATION_OUT: "reclaim"}
KINDS = (
    "out_of_band",
    "unknown_commit",
    "not_on_branch",
    "malformed_note",
    "mismatch",
    "unapplied",
    "dirty",
    "override",
)
NOT_STRICT = frozenset({"override"})  # findings --strict lets pass (DESIGN §7)


@dataclass(frozen=True, slots=True)
class Movement:
    transaction_id: str
    created_at: datetime
    team_id: str
    action: str  # "allocate" | "reclaim"
    amount: int  # micros, positive
    note: str | None
    actor: str | None
    klass: str  # "reconciler" | "out_of_band" | "adopted"
    commit: str | None = None
    commit_found: bool = False
    on_branch: bool = False
    pr: int | None = None
    author: str | None = None
    subject: str | None = None
    plan_id: str | None = None
    op_key: str | None = None
    dirty: bool = False
    override_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    transaction_id: str | None
    team_id: str
    message: str


def looks_like_note(text: str | None) -> bool:
    """A note that claims to be ours (the prefix) whether or not it parses."""
    return text is not None and text.lstrip().startswith(notes.NOTE_PREFIX)


def _movement(entry: Transaction, team_id: str, klass: str) -> Movement:
    return Movement(
        transaction_id=entry.id,
        created_at=entry.created_at,
        team_id=team_id,
        action=ACTIONS[entry.type],
        amount=abs(entry.amount),
        note=entry.note,
        actor=entry.actor,
        klass=klass,
    )


def _traced(entry: Transaction, team_id: str, log: CommitLog) -> tuple[Movement, list[Finding]]:
    note = notes.parse_note(entry.note)
    assert note is not None
    facts = log.get(note.commit)
    base = _movement(entry, team_id, "reconciler")
    move = replace(
        base,
        commit=note.commit,
        commit_found=facts is not None,
        on_branch=facts is not None and facts.on_branch,
        pr=facts.pr if facts else None,
        author=facts.author if facts else None,
        subject=facts.subject if facts else None,
        plan_id=note.plan_id,
        op_key=note.op_key,
        dirty=note.dirty,
        override_reason=note.override,
    )
    found: list[Finding] = []
    what = f"{move.action} of {money.format_usd(move.amount)}"
    if facts is None:
        found.append(
            Finding(
                "unknown_commit",
                entry.id,
                team_id,
                f"{what} names commit {note.commit[:12]}, which this repository does not hold "
                "(forged, another repository, or rewritten history)",
            )
        )
    elif not facts.on_branch:
        found.append(
            Finding(
                "not_on_branch",
                entry.id,
                team_id,
                f"{what} names commit {note.commit[:12]} ({facts.subject!r}), which branch "
                f"{log.branch} does not reach (a force-push or an apply from another branch)",
            )
        )
    if note.team_id != team_id:
        found.append(
            Finding(
                "malformed_note",
                entry.id,
                team_id,
                f"{what} carries a note for team {note.team_id}, not {team_id}",
            )
        )
    if note.dirty:
        found.append(
            Finding(
                "dirty",
                entry.id,
                team_id,
                f"{what} was applied from an uncommitted tree at {note.commit[:12]}",
            )
        )
    if note.override is not None:
        found.append(
            Finding(
                "override", entry.id, team_id, f"{what} was applied past a guard: {note.override}"
            )
        )
    return move, found


def classify_entry(
    entry: Transaction, team_id: str, log: CommitLog, managed: datetime | None
) -> tuple[Movement, list[Finding]]:
    """One team-side allocation entry as a movement and its findings."""
    kind = flow_kind(entry, managed)  # the planner's rule (planning.drift)
    if kind == OURS:
        return _traced(entry, team_id, log)
    adopted = kind != DRIFT
    move = _movement(entry, team_id, "adopted" if adopted else "out_of_band")
    what = f"{move.action} of {money.format_usd(move.amount)}"
    found: list[Finding] = []
    if looks_like_note(entry.note):
        found.append(
            Finding(
                "malformed_note",
                entry.id,
                team_id,
                f"{what} has a note that starts like a reconciler note but does not parse",
            )
        )
    if not adopted:
        by = f" by {entry.actor}" if entry.actor else ""
        found.append(
            Finding(
                "out_of_band",
                entry.id,
                team_id,
                f"{what}{by} has no reconciler note: it was made outside git",
            )
        )
    return move, found


def classify(
    entries: Iterable[tuple[str, Transaction]],
    log: CommitLog,
    managed_since: Mapping[str, datetime],
) -> tuple[list[Movement], list[Finding]]:
    """Movements (ledger order kept) and findings for (team id, team-side entry) pairs."""
    movements: list[Movement] = []
    findings: list[Finding] = []
    for team_id, entry in entries:
        if entry.type not in ACTIONS:
            continue
        move, found = classify_entry(entry, team_id, log, managed_since.get(team_id))
        movements.append(move)
        findings.extend(found)
    return movements, findings


def wallet_entries(ledger: Ledger) -> dict[str, tuple[Wallet, list[Transaction]]]:
    """Every team wallet with all its entries, oldest first (one read per wallet)."""
    wallets = sorted(
        (w for w in ledger.list_wallets() if w.scope is Scope.TEAM), key=lambda w: w.owner_id
    )
    return {w.owner_id: (w, list(ledger.transactions(w.id))) for w in wallets}


def team_entries(
    wallets: Mapping[str, tuple[Wallet, Sequence[Transaction]]],
) -> list[tuple[str, Transaction]]:
    """(team id, entry) for every allocate/reclaim on a team wallet, oldest first."""
    pairs = [
        (team_id, entry)
        for team_id, (_wallet, entries) in wallets.items()
        for entry in entries
        if entry.type in ACTIONS
    ]
    pairs.sort(key=lambda pair: pair[1].created_at)
    return pairs


def unapplied(
    changes: Mapping[str, Sequence[EnvelopeChange]], movements: Sequence[Movement], log: CommitLog
) -> list[Finding]:
    """Envelope changes on the branch that no later-or-equal reconciler movement carried."""
    position = {sha: i for i, sha in enumerate(log.branch_order)}
    newest: dict[str, int] = {}
    for move in movements:
        if move.klass == "reconciler" and move.commit is not None and move.commit in position:
            at = position[move.commit]
            newest[move.team_id] = max(newest.get(move.team_id, -1), at)
    found: list[Finding] = []
    for team_id, team_changes in sorted(changes.items()):
        for change in team_changes:
            if change.new is None or change.commit not in position:
                continue
            if newest.get(team_id, -1) >= position[change.commit]:
                continue
            facts = log.commits[change.commit]
            old = "none" if change.old is None else money.format_usd(change.old)
            found.append(
                Finding(
                    "unapplied",
                    None,
                    team_id,
                    f"commit {change.commit[:12]} ({facts.subject!r}) set the envelope "
                    f"{old} -> {money.format_usd(change.new)} but no movement carried it: "
                    "run reconciler apply",
                )
            )
    return found


def strict_failures(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.kind not in NOT_STRICT]


@dataclass(frozen=True, slots=True)
class BlameEntry:
    """One envelope change of a team, the movements that carried it and the drift until the next."""

    change: EnvelopeChange
    facts: CommitFacts
    movements: tuple[Movement, ...]
    drift: tuple[Movement, ...]


def blame(
    team_id: str,
    changes: Sequence[EnvelopeChange],
    movements: Sequence[Movement],
    log: CommitLog,
) -> list[BlameEntry]:
    """``team_id``'s envelope history, each change with the reconciler movements whose commit is
    that change or a later commit before the next change, and the out-of-band flows between."""
    position = {sha: i for i, sha in enumerate(log.branch_order)}
    starts = [position[c.commit] for c in changes]
    carried: list[list[Movement]] = [[] for _ in changes]
    drift: list[list[Movement]] = [[] for _ in changes]
    for move in movements:
        if move.team_id != team_id or not changes:
            continue
        if move.klass == "reconciler" and move.commit in position:
            at = position[move.commit]
            slot = max((i for i, s in enumerate(starts) if s <= at), default=None)
            if slot is not None:
                carried[slot].append(move)
        elif move.klass == "out_of_band":
            slot = max((i for i, c in enumerate(changes) if c.date <= move.created_at), default=0)
            drift[slot].append(move)
    return [
        BlameEntry(c, log.commits[c.commit], tuple(carried[i]), tuple(drift[i]))
        for i, c in enumerate(changes)
    ]
