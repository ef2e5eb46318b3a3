"""The audit's ``mismatch`` finding: after an apply, is the team where its commit put it?

For each (team, commit, period) that reconciler movements name, the last such movement on the
team wallet is where the apply (or its resumption) ended. The budgets at that commit say the
team's envelope (``history.budgets_along``: the single pass over the branch that blame uses, no
checkout per commit); the ledger up to and including that movement says the team's period
allocation, counted exactly as the planner counts it (``planning.drift.classify``: ours +
adopted, + drift under ``drift: correct``; the carry when ``rollover`` is off). When the two
differ, the apply did not bring the team to what the commit asked for: a guard, a funding
shortfall, a deficit (spend, ``protect``) or a movement made by hand with a copied note.

Only period-mode teams that are not tombstoned are checked: a balance-mode team's target
depends on reservations at that instant, which the ledger's history does not keep.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from reconciler import git, history, money, notes
from reconciler.audit import Finding, Movement
from reconciler.errors import ConfigError, GitError
from reconciler.ledger.base import Transaction, Wallet, observation_from_entries
from reconciler.model import DesiredState, Mode
from reconciler.periods import period_from_id
from reconciler.planning.drift import classify

Entries = Mapping[str, tuple[Wallet, Sequence[Transaction]]]  # team id -> wallet, all entries


def _ends(movements: Sequence[Movement]) -> dict[tuple[str, str, str], Movement]:
    """The last reconciler movement per (team, commit, period), in ledger order."""
    ends: dict[tuple[str, str, str], Movement] = {}
    for move in movements:
        note = notes.parse_note(move.note)
        if move.klass == "reconciler" and move.on_branch and note is not None:
            ends[(move.team_id, note.commit, note.period_id)] = move
    return ends


def _budgets_at(
    directory: Path, commit: str, cache: dict[str, DesiredState | None]
) -> DesiredState | None:
    if commit not in cache:
        try:
            cache[commit] = git.load_at(directory, commit)
        except (GitError, ConfigError):
            cache[commit] = None
    return cache[commit]


def mismatches(
    directory: Path,
    movements: Sequence[Movement],
    entries: Entries,
    managed_since: Mapping[str, datetime],
    branch: str,
) -> list[Finding]:
    """One ``mismatch`` finding per apply that left a team off its commit's envelope."""
    ends = _ends(movements)
    cache = history.budgets_along(directory, branch, {commit for _t, commit, _p in ends})
    found: list[Finding] = []
    index: dict[str, dict[str, int]] = {}  # team -> transaction id -> position in its entries
    for (team_id, commit, period_id), end in sorted(ends.items()):
        desired = _budgets_at(directory, commit, cache)
        team = next((t for t in desired.teams if t.id == team_id), None) if desired else None
        if desired is None or team is None or team.removed or team.mode is not Mode.PERIOD:
            continue
        try:
            period = period_from_id(desired.organization.period, period_id)
        except ValueError:
            continue
        wallet, all_entries = entries[team_id]
        if team_id not in index:
            index[team_id] = {entry.id: i for i, entry in enumerate(all_entries)}
        upto = all_entries[: index[team_id][end.transaction_id] + 1]
        obs = observation_from_entries(team_id, wallet, upto, period)
        flows = classify(team, obs, managed_since.get(team_id) or end.created_at)
        carry = 0 if team.rollover else obs.carry
        held = flows.counted + carry
        if held != team.envelope:
            found.append(
                Finding(
                    "mismatch",
                    end.transaction_id,
                    team_id,
                    f"after the apply of {commit[:12]} the team holds "
                    f"{money.format_usd(held)} for {period_id}, but that commit's envelope is "
                    f"{money.format_usd(team.envelope)} (a guard, a shortfall, a deficit or a "
                    "hand edit): run reconciler plan to see why",
                )
            )
    return found
