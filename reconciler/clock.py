"""Time: the ``Clock`` everything takes, UTC text, and the test clock.

Everything that reads the time takes a ``Clock`` (``utc_now`` by default) so tests inject one.
``iso_utc`` is the one form reconciler writes times in for people and documents, ``table_time``
the one for table cells, ``parse_utc`` reads times with an offset back. The CLI's clock
comes from ``clock_from_env``: the fixed instant in ``RECONCILER_NOW`` (ISO-8601, e.g.
``2026-11-28T12:00:00Z``) when set, a test hook deliberately absent from every ``--help``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from reconciler.errors import (
    UsageError,
)

Clock = Callable[[], datetime]


#: A duration in seconds (timeouts, backoff). Never money: money is integer micro-USD.
Seconds = float  # float-ok: durations only


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: reconciler works in UTC only")
    return moment.astimezone(UTC)


def utc_now() -> datetime:
    """The default clock; everything that reads the time takes a ``Clock`` so tests inject one."""
    return datetime.now(UTC)


def parse_utc(text: str) -> datetime:
    """An ISO-8601 time with an offset (git's ``%cI``, a plan document's ``Z`` times) in UTC."""
    return datetime.fromisoformat(text).astimezone(UTC)


def table_time(moment: datetime) -> str:
    """``2026-11-02 09:00:00``: a UTC time as tables show it (whole seconds, no offset)."""
    return f"{as_utc(moment):%Y-%m-%d %H:%M:%S}"


def iso_utc(moment: datetime) -> str:
    """``2026-11-02T09:00:00Z``; ``2026-11-02T09:00:00.250000Z`` when there are microseconds.
    The one form reconciler writes times in for people and documents (plans, JSON output)."""
    return as_utc(moment).isoformat().replace("+00:00", "Z")


ENV_NOW = "RECONCILER_NOW"


def clock_from_env(environ: Mapping[str, str] | None = None) -> Clock:
    """``utc_now``, or the fixed instant in ``RECONCILER_NOW`` (a test-only hook)."""
    env = os.environ if environ is None else environ
    text = env.get(ENV_NOW)
    if not text:
        return utc_now
    try:
        fixed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(f"{ENV_NOW}={text!r} is not an ISO-8601 time") from exc
    if fixed.tzinfo is None:
        raise UsageError(f"{ENV_NOW}={text!r} needs a UTC offset (e.g. 2026-11-28T12:00:00Z)")
    earliest, latest = (
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(9998, 12, 31, 23, 59, 59, tzinfo=UTC),
    )
    if not earliest <= fixed <= latest:  # every period around it must have a representable end
        raise UsageError(
            f"{ENV_NOW}={text!r} is out of range: use a UTC time from 1970-01-01T00:00:00Z to "
            "9998-12-31T23:59:59Z"
        )
    fixed = fixed.astimezone(UTC)
    return lambda: fixed
