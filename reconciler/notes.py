"""Ledger notes and op keys (DESIGN §5).

A reconciler note is one line of at most 255 characters:

    reconciler/v1 commit=<40-hex> plan=<plan_id> op=<op_key> team=<team_id> period=<period_id>
        [dirty] [override="<reason>"]

``format_note`` writes it (shortening an override reason so the note fits) and ``parse_note``
reads it back, returning None for any note that is not ours: that is how drift is told apart.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

NOTE_PREFIX = "reconciler/v1"
MAX_NOTE_LENGTH = 255

_NOTE = re.compile(
    r"^reconciler/v1"
    r" commit=(?P<commit>[0-9a-f]{40})"
    r" plan=(?P<plan>[0-9a-f]{6,64})"
    r" op=(?P<op>[0-9a-f]{16})"
    r" team=(?P<team>[A-Za-z0-9_.:-]+)"
    r" period=(?P<period>all|\d{4}-\d{2}|\d{4}-Q[1-4]|\d{4}-W\d{2})"
    r"(?P<dirty> dirty)?"
    r'(?: override="(?P<override>(?:[^"\\]|\\.)*)")?$'
)


@dataclass(frozen=True, slots=True)
class Note:
    commit: str
    plan_id: str
    op_key: str
    team_id: str
    period_id: str
    dirty: bool = False
    override: str | None = None


def op_key(
    org_id: str,
    period_id: str,
    team_id: str,
    action: str,
    amount_micros: int,
    commit: str,
    plan_id: str,
    index: int,
) -> str:
    """First 16 hex chars of sha256 over the movement's identity (deterministic)."""
    material = "\x1f".join(
        [org_id, period_id, team_id, action, str(amount_micros), commit, plan_id, str(index)]
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:16]


def _quote(reason: str) -> str:
    flat = " ".join(reason.split())
    return flat.replace("\\", "\\\\").replace('"', '\\"')


def format_note(note: Note) -> str:
    head = (
        f"{NOTE_PREFIX} commit={note.commit} plan={note.plan_id} op={note.op_key} "
        f"team={note.team_id} period={note.period_id}"
    )
    if note.dirty:
        head += " dirty"
    if note.override is None:
        return head
    room = MAX_NOTE_LENGTH - len(head) - len(' override=""')
    reason = _quote(note.override)
    if len(reason) > room:
        reason = reason[: max(room - 3, 0)].rstrip("\\") + "..."
    return f'{head} override="{reason}"'


def parse_note(text: str | None) -> Note | None:
    """The parsed note, or None when ``text`` is not a reconciler note."""
    if not text:
        return None
    match = _NOTE.match(text.strip())
    if match is None:
        return None
    override = match["override"]
    if override is not None:
        override = re.sub(r"\\(.)", r"\1", override)
    return Note(
        commit=match["commit"],
        plan_id=match["plan"],
        op_key=match["op"],
        team_id=match["team"],
        period_id=match["period"],
        dirty=match["dirty"] is not None,
        override=override,
    )
