"""The one retry policy: which answers are retried, how often, and how long to wait.

Exponential backoff with full jitter (sleep a uniform random time up to
``min(cap, base * 2**retry)``), unless the server sent ``Retry-After`` (delta-seconds or an
HTTP date), which is honoured up to ``retry_after_cap`` seconds.

Two users, one layer each, never stacked:

- ``HttpLedger`` retries every read (``read_attempts``, default 5) on connection errors,
  timeouts, 429 and 500/502/503/504. Nothing above it wraps a read in another retry loop.
- The executor retries a write (``write_attempts``, default 4), and only after the op-key
  search — one search, made of reads that ``HttpLedger`` already retries — found the op key
  absent (DESIGN §5). ``HttpLedger`` itself never retries a write.

Worst case with the defaults, for one movement whose every request fails:

- one read: 5 tries and 4 waits of at most 0.25 + 0.5 + 1 + 2 = 3.75 s (each wait up to
  30 s instead when the server sends ``Retry-After``), each try bounded by the client timeout;
- one write: 4 POSTs with 3 waits of at most 0.25 + 0.5 + 1 = 1.75 s (or ``Retry-After``), and
  after each failed POST one op-key search of 1 read (the team's wallet id known) or 2 (its
  wallet looked up first): at most 4 POSTs and 8 reads, so 4 + 8 x 5 = 44 requests and at
  most 1.75 + 8 x 3.75 = 31.75 s of backoff (without ``Retry-After``). With the
  retries stacked as they were (the search tried 5 times, each of its reads 5 times), the
  same movement could make 4 + 4 x 5 x 2 x 5 = 204 requests.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from reconciler.clock import Seconds

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter: sleep U(0, min(cap, base * 2**retry))."""

    base: Seconds = 0.25
    cap: Seconds = 8.0
    retry_after_cap: Seconds = 30.0  # a server's Retry-After is honoured up to this many seconds

    def delay(self, retry: int, rng: random.Random, retry_after: Seconds | None = None) -> Seconds:
        """Seconds to wait before retry number ``retry`` (0-based)."""
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap)
        return rng.uniform(0.0, min(self.cap, self.base * 2**retry))


DEFAULT_BACKOFF = Backoff()


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> Seconds | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return Seconds(text)
    from email.utils import parsedate_to_datetime  # an HTTP date is rare: imported for one

    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often a read (``HttpLedger``) and a write (the executor) are tried, and the backoff
    between tries: exponential with full jitter, honouring ``Retry-After``."""

    write_attempts: int = 4
    read_attempts: int = 5
    backoff: Backoff = DEFAULT_BACKOFF
    sleep: Callable[[Seconds], None] = field(default=time.sleep)
    rng: random.Random = field(default_factory=random.Random)

    def pause(self, attempt: int, *, at_least: Seconds | None = None) -> None:
        """Sleep before retry ``attempt + 1``."""
        self.sleep(self.backoff.delay(attempt, self.rng, at_least))
