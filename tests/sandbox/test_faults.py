from __future__ import annotations

import pytest

from reconciler.sandbox.faults import Fault, FaultPlan, FaultRule, FaultSpecError, parse_faults


def test_parse_every_kind_and_selector() -> None:
    rules = parse_faults("allocate:lose@1, transactions:503@1,2 ; *:latency=50,balance:429@2+")
    assert rules == (
        FaultRule("allocate", "lose", 0, frozenset({1})),
        FaultRule("transactions", "503", 0, frozenset({1, 2})),
        FaultRule("*", "latency", 50),
        FaultRule("balance", "429", 0, frozenset(), 2),
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "fault spec '' holds no rule"),
        ("allocate", "fault spec 'allocate': 'allocate' is not ROUTE:KIND[@N[,N..]|@N+|~P] or"),
        ("allocate:503~0", "fault spec 'allocate:503~0': ~0 is not a probability in (0, 1]"),
        ("allocate:503~1.5", "fault spec 'allocate:503~1.5': ~1.5 is not a probability in"),
        ("allocate:503~.", "fault spec 'allocate:503~.': ~. is not a probability in (0, 1]"),
        ("allocate:404", "fault spec 'allocate:404': 'allocate:404' is not ROUTE:KIND"),
        ("refund:500", "fault spec 'refund:500': unknown route 'refund' (one of allocate,"),
        ("allocate:500@0", "fault spec 'allocate:500@0': request numbers start at 1, not 0"),
        ("3,allocate:500", "fault spec '3,allocate:500': '3' follows no ROUTE:KIND@N rule"),
        ("allocate:500@2+,3", "fault spec 'allocate:500@2+,3': '3' follows no ROUTE:KIND@N rule"),
    ],
)
def test_bad_specs_name_the_bad_part(spec: str, message: str) -> None:
    with pytest.raises(FaultSpecError) as info:
        parse_faults(spec)
    assert str(info.value).startswith(message)


def test_counts_per_route_and_selects_nth() -> None:
    plan = FaultPlan.parse("allocate:503@2,4,reclaim:lose@2+")
    allocate = [plan.next_fault("allocate") for _ in range(5)]
    reclaim = [plan.next_fault("reclaim") for _ in range(3)]
    assert [f.status for f in allocate] == [None, 503, None, 503, None]
    assert [f.lose for f in reclaim] == [False, True, True]
    assert plan.count("allocate") == 5
    assert plan.count("reclaim") == 3
    assert plan.count("credit") == 0


def test_star_uses_each_routes_own_count_and_latencies_add_up() -> None:
    plan = FaultPlan.parse("*:latency=10,*:500@1,wallets:latency=5,wallets:429")
    assert plan.next_fault("wallets") == Fault(latency_ms=15, status=500)
    assert plan.next_fault("wallets") == Fault(latency_ms=15, status=429)
    assert plan.next_fault("credit") == Fault(latency_ms=10, status=500)
    assert plan.next_fault("credit") == Fault(latency_ms=10)


def test_first_status_lose_or_reset_wins() -> None:
    plan = FaultPlan.parse("settle:lose@1,settle:reset@2,settle:502")
    assert plan.next_fault("settle") == Fault(lose=True)
    assert plan.next_fault("settle") == Fault(reset=True)
    assert plan.next_fault("settle") == Fault(status=502)


def test_random_rules_hit_about_their_share_reproducibly_for_a_seed() -> None:
    spec = "allocate:503~0.2,allocate:lose~0.15,seed=3"
    first = FaultPlan.parse(spec)
    hits = [first.next_fault("allocate") for _ in range(2000)]
    statuses = sum(1 for f in hits if f.status == 503)
    lost = sum(1 for f in hits if f.lose)
    assert 320 <= statuses <= 480  # 20% of 2,000, give or take
    assert 180 <= lost <= 340  # 15% of what the 503 rule left (the first outcome wins)
    again = FaultPlan.parse(spec)
    assert [again.next_fault("allocate") for _ in range(2000)] == hits
    other = FaultPlan.parse(spec.replace("seed=3", "seed=4"))
    assert [other.next_fault("allocate") for _ in range(2000)] != hits


def test_a_random_rule_decides_by_route_and_number_not_by_arrival_order() -> None:
    spec = "*:503~0.5,seed=9"
    one, two = FaultPlan.parse(spec), FaultPlan.parse(spec)
    a = [one.next_fault("allocate") for _ in range(50)]
    r = [one.next_fault("reclaim") for _ in range(50)]
    interleaved = [(two.next_fault("reclaim"), two.next_fault("allocate")) for _ in range(50)]
    assert [x for _, x in interleaved] == a
    assert [x for x, _ in interleaved] == r


def test_probability_one_is_every_request() -> None:
    plan = FaultPlan.parse("reclaim:reset~1")
    assert all(plan.next_fault("reclaim").reset for _ in range(100))
