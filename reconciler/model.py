"""The desired state read from the budgets directory: frozen, slotted, typed.

``reconciler.config`` builds these from YAML after validation; nothing past ``config/`` sees a raw
dict. Amounts are integer micro-USD (see ``money``). Team-level ``mode``/``rollover``/``drift``
are already resolved against the Organization's ``defaults``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from reconciler.periods import PeriodKind


class Mode(enum.StrEnum):
    PERIOD = "period"
    BALANCE = "balance"


class DriftPolicy(enum.StrEnum):
    WARN = "warn"
    CORRECT = "correct"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a document or key was written: path relative to the working directory, 1-based."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Guards:
    max_movement_per_apply: int | None = None  # micros; None = no guard
    max_reclaim_per_apply: int | None = None


@dataclass(frozen=True, slots=True)
class Organization:
    id: str
    period: PeriodKind
    headroom: int  # micros
    mode: Mode  # default for teams
    rollover: bool
    drift: DriftPolicy
    guards: Guards
    ledger: str | None = None
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class Team:
    id: str  # the Keeptrusts team id
    name: str
    envelope: int  # micros per period
    mode: Mode
    rollover: bool
    drift: DriftPolicy
    owners: tuple[str, ...] = ()
    protect: bool = False
    removed: bool = False
    envelope_min: int | None = None
    envelope_max: int | None = None
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class ConsumerGroup:
    id: str
    wallet_team_id: str
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    consumer_groups: tuple[ConsumerGroup, ...]
    wallet_enforcement: bool
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class DesiredState:
    """Everything the budgets directory says. ``teams`` is sorted by id."""

    root: Path  # the budgets directory
    organization: Organization
    teams: tuple[Team, ...]
    gateway: GatewayConfig | None = None

    def team(self, team_id: str) -> Team | None:
        for team in self.teams:
            if team.id == team_id:
                return team
        return None
