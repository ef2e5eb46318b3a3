"""Simulated gateway traffic on the sandbox ledger: reserve through the cascade, then settle.

``simulate`` is pure: for a seed it draws the same requests every time (``random.Random(seed)``,
never the global generator). Consumer groups are drawn with a Zipf-like skew (the first groups,
in the order given, are the heavy ones), users within a group likewise, times over a window
with weekday and working-hour peaks, models from a small price table in micro-USD per million
tokens. Each request has an estimate (its input tokens plus the maximum output) and an actual
cost (the output it really produced), and an outcome: most settle, about 3% fail upstream and
settle at zero (the hold is released as a refund), about 1% never answer and their hold expires.

``run`` replays the requests against a ``SqliteLedger`` in time order, each at its simulated
instant (the ledger's clock is per thread), with ``concurrency`` worker threads sharing the file
(each thread has its own connection). A reserve that no wallet covers is a 402: a cost ticket,
counted, never a crash.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from reconciler.errors import BudgetExceeded, LedgerConflict
from reconciler.sandbox.ledger import SqliteLedger

#: model -> (input, output) price in micro-USD per million tokens.
PRICES: dict[str, tuple[int, int]] = {
    "small": (150_000, 600_000),
    "medium": (2_500_000, 10_000_000),
    "large": (15_000_000, 75_000_000),
}
MODEL_WEIGHTS = {"small": 3, "medium": 4, "large": 3}
USERS_PER_GROUP = 4
ANONYMOUS_PERCENT = 20  # requests with no user (service accounts)
FAILED_PERCENT = 3
TIMEOUT_PERCENT = 1
HOLD_TIMEOUT_SECONDS = 3_600  # a request that never answers: its hold expires after an hour
MAX_OUTPUT_TOKENS = 4_096


@dataclass(frozen=True, slots=True)
class SimulatedRequest:
    request_id: str
    at: datetime
    consumer_group: str
    user_id: str | None
    model: str
    estimate: int  # micros
    actual: int  # micros (0 when the request failed upstream)
    outcome: str  # "ok" | "failed" | "timeout"
    latency: timedelta


@dataclass(frozen=True, slots=True)
class TrafficResult:
    requests: int
    settled: int
    failed: int  # settled at zero: the hold released
    timed_out: int  # never settled: the hold expires
    cost_tickets: int  # 402: no wallet covered the estimate
    spent: int  # micros settled


def cost(model: str, input_tokens: int, output_tokens: int) -> int:
    """Micro-USD for the tokens, rounded up to a whole micro-dollar."""
    price_in, price_out = PRICES[model]
    return -(-(input_tokens * price_in + output_tokens * price_out) // 1_000_000)


def skewed_weights(count: int) -> list[float]:  # float-ok: sampling weights, not money
    """Zipf-like weights (1, 1/2^1.1, 1/3^1.1, ...): a few heavy, a long light tail."""
    return [1 / (rank**1.1) for rank in range(1, count + 1)]  # float-ok


def busy_weight(moment: datetime) -> float:  # float-ok: sampling weight
    """Weekdays carry four times the weekend's traffic; 08-18 UTC three times the night's."""
    day = 1.0 if moment.weekday() < 5 else 0.25  # float-ok
    hour = 1.0 if 8 <= moment.hour < 18 else 0.33  # float-ok
    return day * hour


def simulate(
    groups: Sequence[str], *, requests: int, seed: int, start: datetime, end: datetime
) -> list[SimulatedRequest]:
    """``requests`` requests of ``groups`` in [start, end), sorted by time; same seed, same list."""
    if not groups:
        raise ValueError("no consumer groups to simulate traffic for")
    rng = random.Random(seed)
    span = int((end - start).total_seconds())
    group_weights = skewed_weights(len(groups))
    user_weights = skewed_weights(USERS_PER_GROUP)
    models = sorted(MODEL_WEIGHTS)
    made: list[SimulatedRequest] = []
    for number in range(1, requests + 1):
        while True:  # rejection sampling: accept a time with probability busy_weight
            at = start + timedelta(seconds=rng.randrange(max(span, 1)))
            if rng.random() < busy_weight(at):
                break
        group = rng.choices(groups, group_weights)[0]
        user = None
        if rng.randrange(100) >= ANONYMOUS_PERCENT:
            user = f"user_{group}_{rng.choices(range(1, USERS_PER_GROUP + 1), user_weights)[0]}"
        model = rng.choices(models, [MODEL_WEIGHTS[m] for m in models])[0]
        input_tokens = int(rng.lognormvariate(10.5, 1.0))  # median ~36k tokens: agent contexts
        output_tokens = rng.randint(50, MAX_OUTPUT_TOKENS)
        roll = rng.randrange(100)
        outcome = (
            "failed"
            if roll < FAILED_PERCENT
            else "timeout"
            if roll < FAILED_PERCENT + TIMEOUT_PERCENT
            else "ok"
        )
        made.append(
            SimulatedRequest(
                request_id=f"req_{seed}_{number:07d}",
                at=at,
                consumer_group=group,
                user_id=user,
                model=model,
                estimate=cost(model, input_tokens, MAX_OUTPUT_TOKENS),
                actual=0 if outcome == "failed" else cost(model, input_tokens, output_tokens),
                outcome=outcome,
                latency=timedelta(milliseconds=rng.randint(300, 30_000)),
            )
        )
    made.sort(key=lambda r: (r.at, r.request_id))
    return made


class ThreadClock:
    """A clock whose time each thread sets for itself (the simulated instant of its request)."""

    def __init__(self, default: datetime) -> None:
        self._default = default
        self._local = threading.local()

    def set(self, moment: datetime) -> None:
        self._local.moment = moment

    def __call__(self) -> datetime:
        moment: datetime = getattr(self._local, "moment", self._default)
        return moment


def run(
    db: str, requests: Sequence[SimulatedRequest], *, now: datetime, concurrency: int = 1
) -> TrafficResult:
    """Reserve and settle ``requests`` on the ledger at ``db``; holds due by ``now`` expire."""
    clock = ThreadClock(now)
    counts = {"ok": 0, "failed": 0, "timeout": 0, "ticket": 0}
    spent = [0]
    lock = threading.Lock()
    with SqliteLedger(db, clock=clock, actor="gateway") as ledger:

        def one(request: SimulatedRequest) -> None:
            outcome, charged = _replay(ledger, clock, request)
            with lock:
                counts[outcome] += 1
                spent[0] += charged

        if concurrency <= 1:
            for request in requests:
                one(request)
        else:
            with ThreadPoolExecutor(max_workers=concurrency) as pool:
                list(pool.map(one, requests))
        clock.set(now)
        ledger.expire_reservations()
    return TrafficResult(
        requests=len(requests),
        settled=counts["ok"],
        failed=counts["failed"],
        timed_out=counts["timeout"],
        cost_tickets=counts["ticket"],
        spent=spent[0],
    )


def _replay(ledger: SqliteLedger, clock: ThreadClock, request: SimulatedRequest) -> tuple[str, int]:
    clock.set(request.at)
    try:
        reservation = ledger.reserve(
            request.request_id,
            request.estimate,
            user_id=request.user_id,
            consumer_group=request.consumer_group,
            timeout_seconds=HOLD_TIMEOUT_SECONDS,
        )
    except BudgetExceeded:
        return "ticket", 0
    if request.outcome == "timeout":
        return "timeout", 0
    clock.set(request.at + request.latency)
    try:
        ledger.settle(reservation.reservation_id, request.actual)
    except LedgerConflict:  # another worker's later clock expired the hold first
        return "timeout", 0
    return request.outcome, request.actual
