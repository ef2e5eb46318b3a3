"""What the reliability tests proved, counted, for the summary ``make reliability`` prints.

Tests call ``record("kill points tried")``; the root conftest prints the totals at the end of
a run (serial runs only: counts made in xdist workers stay there).
"""

from __future__ import annotations

from collections import Counter

proved: Counter[str] = Counter()


def record(what: str, count: int = 1) -> None:
    proved[what] += count
