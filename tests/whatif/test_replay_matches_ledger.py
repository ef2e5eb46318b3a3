"""Replaying with the envelopes that were in force reproduces what the ledger recorded, exactly.

Budgets are committed once and applied with the real ``reconciler apply`` at each period start;
requests go through the sandbox's cascade in time order (some fail upstream, some never answer
and their hold expires, some no wallet covers). The replay of those budgets must give, per team
and period, the spend the organization wallet paid for the team, and the wallet's balance at
the period end, to the micro-dollar.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from reconciler.config import load
from reconciler.errors import BudgetExceeded
from reconciler.ledger.base import EntryType, Scope
from reconciler.money import from_micros
from reconciler.periods import PeriodKind, period_from_id
from reconciler.whatif import replay_all
from reconciler.whatif_history import read_history
from tests.support.budgets import team_doc
from tests.whatif.ledgers import Organization

PERIODS = [period_from_id(PeriodKind.MONTHLY, p) for p in ("2026-09", "2026-10")]
TEAMS = ("team_a", "team_b")

cents = st.integers(min_value=1, max_value=3_000)
requests = st.lists(
    st.tuples(
        st.sampled_from([*TEAMS, None]),  # None: no consumer group (the organization's)
        st.integers(min_value=0, max_value=60 * 24 * 29 // 7),  # slot of 7 minutes in the period
        cents,  # estimate, cents
        st.integers(min_value=0, max_value=100),  # actual, percent of the estimate
        st.sampled_from(["ok", "ok", "ok", "failed", "timeout"]),
    ),
    max_size=25,
)
team_rules = st.fixed_dictionaries(
    {
        "envelope": st.integers(min_value=0, max_value=6_000),
        "rollover": st.booleans(),
        "protect": st.booleans(),
        "mode": st.sampled_from(["period", "balance"]),
    }
)


def _amount(cents_value: int) -> str:
    return str(from_micros(cents_value * 10_000).quantize(from_micros(10_000)))


@settings(
    max_examples=20,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rules=st.tuples(team_rules, team_rules),
    credit=st.integers(min_value=1, max_value=30_000),
    months=st.tuples(requests, requests),
)
def test_replay_with_the_envelopes_in_force_reproduces_the_ledger(
    rules: tuple[dict[str, object], dict[str, object]],
    credit: int,
    months: tuple[list[tuple[str | None, int, int, int, str]], ...],
) -> None:
    with TemporaryDirectory() as tmp:
        org = Organization(Path(tmp), datetime(2026, 8, 20, tzinfo=UTC), credit=_amount(credit))
        docs = [
            team_doc(
                team,
                _amount(int(str(r["envelope"]))),
                **{k: v for k, v in r.items() if k != "envelope"},
            )
            for team, r in zip(TEAMS, rules, strict=True)
        ]
        org.write(docs)
        org.commit(datetime(2026, 8, 20, 1, tzinfo=UTC))
        need = sum(int(str(r["envelope"])) for r in rules)
        for period, spend in zip(PERIODS, months, strict=True):
            org.clock.set(period.start + timedelta(minutes=1))
            org.ledger.credit(max(need, 1) * 10_000, note="monthly top-up")
            org.apply(period.start + timedelta(minutes=5))
            one_per_slot = {r[1]: r for r in spend}  # the gateway answers one at a time
            for team, slot, estimate, percent, outcome in sorted(
                one_per_slot.values(), key=lambda r: r[1]
            ):
                when = period.start + timedelta(minutes=10 + 7 * slot)
                actual = estimate * percent // 100 if outcome == "ok" else 0
                with suppress(BudgetExceeded):  # a 402: never recorded, never replayed
                    org.request(team, when, estimate, actual, answered=outcome != "timeout")
        org.clock.set(datetime(2026, 11, 1, 0, 1, tzinfo=UTC))
        org.ledger.credit(10_000, note="closes the last holds")
        desired, _ = load(org.budgets)
        history = read_history(org.ledger, desired, PERIODS, as_of=PERIODS[-1].end)
        outcomes = replay_all(desired, history.periods)
        for period, outcome in zip(PERIODS, outcomes, strict=True):
            paid_by_org = _org_paid(org, period)
            after = org.ledger.observe(TEAMS, period_from_id(PeriodKind.MONTHLY, _next(period.id)))
            for team in TEAMS:
                row = outcome.teams[team]
                assert row.fell_through == paid_by_org.get(team, 0), (period.id, team)
                assert row.refused == 0
                assert row.unused == after[team].carry, (period.id, team)
        org.close()


def _org_paid(org: Organization, period: object) -> dict[str, int]:
    wallet = org.ledger.organization_wallet()
    found: dict[str, int] = {}
    for entry in org.ledger.transactions(wallet.id, since=period.start, until=period.end):  # type: ignore[attr-defined]
        if (
            entry.type is EntryType.SETTLEMENT
            and entry.scope is Scope.ORGANIZATION
            and entry.team_id
        ):
            found[entry.team_id] = found.get(entry.team_id, 0) - entry.amount
    return found


def _next(period_id: str) -> str:
    return {"2026-09": "2026-10", "2026-10": "2026-11"}[period_id]
