"""Failpoints: named places where a test can kill the process, to prove crash safety.

``RECONCILER_FAILPOINTS`` (a test hook, absent from every ``--help``) lists the points to arm,
comma-separated, each ``name`` (the first time it is reached) or ``name@N`` (the N-th time).
When an armed point is reached the process sends itself SIGKILL: no ``finally`` block, no
flush, exactly like ``kill -9`` at that instant, but at a place the test chose rather than one
a timer happened to hit. Unset, ``hit`` is one dictionary lookup.

Points (see ``executor`` and ``commands/apply``): ``apply.before_write`` (a movement is about to
be sent), ``apply.after_write`` (the ledger answered it, nothing recorded yet),
``apply.between_waves`` (every reclaim done, no allocation sent), ``apply.before_check`` (the
run is over, the plan is about to be made again).
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter

ENV = "RECONCILER_FAILPOINTS"

_armed: dict[str, int] | None = None
_seen: Counter[str] = Counter()
_lock = threading.Lock()  # the apply's worker threads hit the same points: count each visit


def _parse(text: str) -> dict[str, int]:
    armed: dict[str, int] = {}
    for item in text.split(","):
        name, _, count = item.strip().partition("@")
        if name:
            armed[name] = int(count) if count.isdigit() and int(count) > 0 else 1
    return armed


def hit(name: str) -> None:
    """Kill this process with SIGKILL if ``name`` is armed for this visit."""
    global _armed
    if _armed is None:
        _armed = _parse(os.environ.get(ENV, ""))
    if not _armed:
        return
    with _lock:
        _seen[name] += 1
        due = _armed.get(name) == _seen[name]
    if due:
        os.kill(os.getpid(), signal.SIGKILL)
