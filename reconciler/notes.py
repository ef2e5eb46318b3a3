"""Ledger notes and op keys (DESIGN §5).

A reconciler note is one line of at most 255 characters:

    reconciler/v1 commit=<40-hex> plan=<plan_id> op=<op_key> team=<team_id> period=<period_id>
        [dirty] [override="<reason>"]

``format_note`` writes it and ``parse_note`` reads it back, returning None for any note that is
not ours: that is how drift is told apart. Team ids (``MAX_TEAM_ID``) and override reasons
(``MAX_OVERRIDE_REASON``) have maximum lengths chosen so that every note fits in 255 characters;
``check_override_reason`` refuses a longer reason before anything moves.

The op key (DESIGN §5) names one movement by what decides it: the organization, period, team,
action, amount, commit and ``prior``, the digest of the team's allocation flows in the period as
observed when planning. It depends on nothing else (not on the plan id, nor on other teams), so
any two runs that see the same team at the same commit derive the same key for the same
movement, and a write a killed or concurrent run still has in flight is answered by the ledger's
``Idempotency-Key`` replay instead of being made twice.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass

from reconciler import text
from reconciler.errors import UsageError

NOTE_PREFIX = "reconciler/v1"
MAX_NOTE_LENGTH = 255
MAX_TEAM_ID = 64
MAX_PLAN_ID = 12
_LONGEST_PERIOD_ID = len("2026-W53")
# The longest note without a reason: every field at its maximum, dirty included.
_LONGEST_HEAD = len(
    f"{NOTE_PREFIX} commit={'0' * 40} plan={'0' * MAX_PLAN_ID} op={'0' * 16} "
    f"team={'t' * MAX_TEAM_ID} period={'0' * _LONGEST_PERIOD_ID} dirty"
)
MAX_OVERRIDE_REASON = MAX_NOTE_LENGTH - _LONGEST_HEAD - len(' override=""')

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
    prior: str,
) -> str:
    """First 16 hex chars of sha256 over what decides the movement (see the module docstring).

    ``prior`` is the team's prior-flows digest (``TeamFingerprint.flows_digest``)."""
    material = "\x1f".join([org_id, period_id, team_id, action, str(amount_micros), commit, prior])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:16]


def _quote(reason: str) -> str:
    flat = " ".join(reason.split())
    return flat.replace("\\", "\\\\").replace('"', '\\"')


def check_override_reason(reason: str) -> str:
    """``reason`` as it will stand in every note; UsageError when it cannot fit (DESIGN §5)."""
    quoted = _quote(reason)
    if not text.is_printable(" ".join(reason.split())):
        raise UsageError(
            f"--override-guards reason '{text.printable(reason)}' holds a control, bidi or "
            "zero-width character that a ledger note may not carry: write it in plain text"
        )
    if not quoted:
        raise UsageError("--override-guards needs a reason: say why the guard may be passed")
    if len(quoted) > MAX_OVERRIDE_REASON:
        raise UsageError(
            f"--override-guards reason is {len(quoted)} characters; at most "
            f"{MAX_OVERRIDE_REASON} fit in a ledger note: shorten it (link a ticket for detail)"
        )
    return reason


def format_note(note: Note) -> str:
    head = (
        f"{NOTE_PREFIX} commit={note.commit} plan={note.plan_id} op={note.op_key} "
        f"team={note.team_id} period={note.period_id}"
    )
    if note.dirty:
        head += " dirty"
    if note.override is None:
        return head
    return f'{head} override="{_quote(check_override_reason(note.override))}"'


@functools.lru_cache(maxsize=1 << 16)  # a note is read many times (audit, planner); Note is frozen
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


def is_ours(text: str | None) -> bool:
    """Whether ``text`` is a reconciler note: the one test that tells our flows from drift."""
    return parse_note(text) is not None


def op_of(text: str | None) -> str | None:
    """The op key a reconciler note carries, or None for any other note."""
    note = parse_note(text)
    return note.op_key if note is not None else None
