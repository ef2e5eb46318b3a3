"""Clocks for tests: every instant a test depends on is one the test chose."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta


class TickingClock:
    """Starts at a chosen instant; each read advances one millisecond, so entries written through
    it stay in order (thread-safe: a server thread and the test may both read it)."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            self._now += timedelta(milliseconds=1)
            return self._now
