"""Deterministic fault injection for the sandbox server (``sandbox serve --faults SPEC``).

Grammar (whitespace ignored)::

    SPEC  := ITEM ((","|";") ITEM)*
    ITEM  := RULE | "seed=" S        S: the seed of the random rules (default 0)
    RULE  := ROUTE ":" KIND [ "@" WHEN | "~" P ]
    ROUTE := allocate | reclaim | credit | transactions | wallets | balance | reserve | settle | *
    KIND  := 500 | 502 | 503     answer that status with the error envelope, WITHOUT doing the work
           | 429                 answer 429 with ``Retry-After: 1``, without doing the work
           | lose                DO the work, then answer 502: the client cannot know it happened
           | reset               DO the work, then cut the connection in the middle of the answer
           | latency=MS          sleep MS milliseconds first, then go on normally
           | ignore-key          act as a ledger that does not honour Idempotency-Key (the
                                 Keeptrusts API documents none): the header is not looked at
    WHEN  := N ("," N)*          only the Nth request(s) to that route (1-based)
           | N "+"               the Nth request and every one after it
                                 (no WHEN: every request)
    P     := a probability in (0, 1], e.g. 0.2: each request of the route independently

Examples: ``allocate:lose@1`` (the first allocate is done but its answer is lost),
``transactions:503@1,2`` (the first two transaction reads fail), ``*:latency=50``,
``balance:429@2+``, ``reclaim:reset@1``. A bare number after a comma continues the previous
rule's ``@`` list.

Random rules make a faulty run reproducible: whether ``KIND~P`` hits the Nth request of a
route is decided by sha256(seed, rule, route, N), not by arrival order, so the same seed gives
the same faults to the same requests however concurrent clients interleave, e.g.
``*:503~0.2,allocate:lose~0.15,reclaim:lose~0.15,allocate:reset~0.05,seed=3``.

Each route counts its own requests (authenticated ones only; the console aliases count as
``allocate``/``reclaim``). A rule for ``*`` uses the count of whichever route is called. When
several rules match one request, every latency applies, then the first status, ``lose`` or
``reset`` wins.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

ROUTES = frozenset(
    {"allocate", "reclaim", "credit", "transactions", "wallets", "balance", "reserve", "settle"}
)
STATUS_KINDS = frozenset({"500", "502", "503", "429"})


class FaultSpecError(ValueError):
    """A ``--faults`` spec that does not parse; the message names the bad part."""


@dataclass(frozen=True, slots=True)
class FaultRule:
    route: str  # a name from ROUTES, or "*"
    kind: str  # "500" | "502" | "503" | "429" | "lose" | "reset" | "latency" | "ignore-key"
    latency_ms: int = 0
    nth: frozenset[int] = frozenset()  # empty and from_nth None: every request
    from_nth: int | None = None
    probability: Decimal | None = None  # KIND~P: each request independently, seeded

    def matches(self, route: str, count: int, draw: int = 0) -> bool:
        """Whether the rule applies to request ``count`` of ``route``; ``draw`` is the request's
        seeded 64-bit random number (used by ``~P`` rules only)."""
        if self.route not in ("*", route):
            return False
        if self.probability is not None:
            return draw < int(self.probability * _SPAN)
        if self.from_nth is not None:
            return count >= self.from_nth
        return not self.nth or count in self.nth


_SPAN = 2**64


@dataclass(frozen=True, slots=True)
class Fault:
    """What to do to one request: sleep first, then maybe answer ``status`` (before or after)."""

    latency_ms: int = 0
    status: int | None = None  # 429/500/502/503 without the work
    lose: bool = False  # do the work, then answer 502
    reset: bool = False  # do the work, then cut the connection mid-answer
    ignore_key: bool = False  # behave as a ledger without Idempotency-Key support


_RULE = re.compile(
    r"^(?P<route>[a-z*]+):(?P<kind>500|502|503|429|lose|reset|ignore-key|latency=(?P<ms>\d+))"
    r"(?:@(?P<first>\d+)(?P<plus>\+)?|~(?P<p>[0-9.]+))?$"
)
_SEED = re.compile(r"^seed=(?P<seed>\d{1,18})$")


def parse_faults(spec: str) -> tuple[FaultRule, ...]:
    """Parse a spec's rules; raise FaultSpecError naming the first bad one."""
    return parse_spec(spec)[0]


def parse_spec(spec: str) -> tuple[tuple[FaultRule, ...], int]:
    """A spec's rules and its seed (0 unless ``seed=S``); FaultSpecError names the bad part."""
    rules: list[FaultRule] = []
    seed = 0
    for raw in re.split(r"[,;]", "".join(spec.split())):
        if not raw:
            continue
        if (found := _SEED.match(raw)) is not None:
            seed = int(found["seed"])
            continue
        if raw.isdigit():
            if not rules or rules[-1].from_nth is not None or not rules[-1].nth:
                raise FaultSpecError(f"fault spec {spec!r}: {raw!r} follows no ROUTE:KIND@N rule")
            last = rules[-1]
            rules[-1] = FaultRule(
                last.route, last.kind, last.latency_ms, last.nth | {_positive(raw, spec)}
            )
            continue
        match = _RULE.match(raw)
        if match is None:
            raise FaultSpecError(
                f"fault spec {spec!r}: {raw!r} is not ROUTE:KIND[@N[,N..]|@N+|~P] or seed=S "
                "(KIND: 500, 502, 503, 429, lose, reset, ignore-key, latency=MS)"
            )
        route = match["route"]
        if route != "*" and route not in ROUTES:
            raise FaultSpecError(
                f"fault spec {spec!r}: unknown route {route!r} (one of {', '.join(sorted(ROUTES))}"
                ", *)"
            )
        kind = "latency" if match["ms"] is not None else match["kind"]
        latency = int(match["ms"]) if match["ms"] is not None else 0
        nth: frozenset[int] = frozenset()
        from_nth = None
        if match["first"] is not None:
            first = _positive(match["first"], spec)
            if match["plus"]:
                from_nth = first
            else:
                nth = frozenset({first})
        chance = _probability(match["p"], spec) if match["p"] is not None else None
        rules.append(FaultRule(route, kind, latency, nth, from_nth, chance))
    if not rules:
        raise FaultSpecError(f"fault spec {spec!r} holds no rule")
    return tuple(rules), seed


def _probability(text: str, spec: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or not 0 < value <= 1:
        raise FaultSpecError(f"fault spec {spec!r}: ~{text} is not a probability in (0, 1]")
    return value


def _positive(text: str, spec: str) -> int:
    value = int(text)
    if value < 1:
        raise FaultSpecError(f"fault spec {spec!r}: request numbers start at 1, not {value}")
    return value


class FaultPlan:
    """Parsed rules plus per-route request counters (thread-safe)."""

    def __init__(self, rules: tuple[FaultRule, ...], seed: int = 0) -> None:
        self.rules = rules
        self.seed = seed
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, spec: str) -> FaultPlan:
        rules, seed = parse_spec(spec)
        return cls(rules, seed)

    def _draw(self, index: int, route: str, count: int) -> int:
        """The seeded random number of request ``count`` of ``route`` for rule ``index``."""
        material = f"{self.seed}\x1f{index}\x1f{route}\x1f{count}".encode()
        return int.from_bytes(hashlib.sha256(material).digest()[:8], "big")

    def next_fault(self, route: str) -> Fault:
        """Count one request to ``route`` and say what to do to it."""
        with self._lock:
            self._counts[route] += 1
            count = self._counts[route]
        latency = 0
        ignore_key = False
        outcome: str | None = None
        for index, rule in enumerate(self.rules):
            draw = self._draw(index, route, count) if rule.probability is not None else 0
            if not rule.matches(route, count, draw):
                continue
            if rule.kind == "latency":
                latency += rule.latency_ms
            elif rule.kind == "ignore-key":
                ignore_key = True
            elif outcome is None:
                outcome = rule.kind
        status = int(outcome) if outcome is not None and outcome in STATUS_KINDS else None
        return Fault(latency, status, outcome == "lose", outcome == "reset", ignore_key)

    def count(self, route: str) -> int:
        with self._lock:
            return self._counts[route]
