"""Hand-made desired states and period histories for the what-if replay (amounts in USD text)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.ledger.base import Scope
from reconciler.model import DesiredState, DriftPolicy, Guards, Mode, Organization, Team
from reconciler.money import to_micros
from reconciler.periods import PeriodKind, period_from_id
from reconciler.whatif import Hold, PeriodHistory

OCTOBER = period_from_id(PeriodKind.MONTHLY, "2026-10")
NOVEMBER = period_from_id(PeriodKind.MONTHLY, "2026-11")


def usd(text: str) -> int:
    return to_micros(text)


def at(day: int, hour: int = 12, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def team(team_id: str, envelope: str, **extra: Any) -> Team:
    base = Team(
        id=team_id,
        name=team_id,
        envelope=usd(envelope),
        mode=Mode.PERIOD,
        rollover=False,
        drift=DriftPolicy.WARN,
    )
    return replace(base, **extra)


def desired(*teams: Team, headroom: str = "0.00") -> DesiredState:
    org = Organization(
        id="org_acme",
        period=PeriodKind.MONTHLY,
        headroom=usd(headroom),
        mode=Mode.PERIOD,
        rollover=False,
        drift=DriftPolicy.WARN,
        guards=Guards(),
    )
    return DesiredState(Path("budgets"), org, tuple(sorted(teams, key=lambda t: t.id)))


class Spend:
    """Requests in time order: each reserved at its instant and settled a minute later."""

    def __init__(self) -> None:
        self.holds: list[Hold] = []

    def add(
        self,
        team_id: str | None,
        when: datetime,
        estimate: str,
        actual: str | None = None,
        *,
        paid_by: Scope = Scope.TEAM,
        closed: datetime | None = None,
    ) -> Spend:
        number = len(self.holds) + 1
        close = closed or when.replace(second=30)
        self.holds.append(
            Hold(
                request_id=f"req_{number}",
                team_id=team_id,
                paid_by=paid_by,
                reserved=(when, f"txn_{2 * number:012d}"),
                estimate=usd(estimate),
                closed=(close, f"txn_{2 * number + 1:012d}"),
                actual=usd(actual if actual is not None else estimate),
            )
        )
        return self

    def history(
        self, *, carry: dict[str, str] | None = None, org: str = "10000.00", period: Any = None
    ) -> PeriodHistory:
        return PeriodHistory(
            period=period or OCTOBER,
            holds=tuple(self.holds),
            carry={t: usd(v) for t, v in (carry or {}).items()},
            org_balance=usd(org),
        )
