"""``reconciler import``: budgets documents for an organization that already has team wallets.

Each team wallet the budgets do not declare yet gets a Team document whose envelope is what the
ledger already holds for the current period, so that import, commit and the first ``plan`` move
nothing (DESIGN §4.4: every flow made before the commit that adds the Team is adopted). The
rule of ``rules.decide`` is applied, not restated: in ``period`` mode the envelope is the
period's net allocations plus the carry (the balance at the period start) unless ``rollover``;
in ``balance`` mode it is the available balance; each candidate is checked with ``decide``.

Envelopes are whole cents, while a carry usually is not (spend has sub-cent precision). When the
organization's defaults give no whole-cent envelope that matches, the other setting is tried
(``rollover`` flipped; ``mode: period`` for a ``balance`` default) and written into the file
with a comment; when none matches, the nearest envelope is written with a warning naming the
movement the first plan will make. Existing files are never overwritten.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reconciler import money
from reconciler.clock import iso_utc
from reconciler.config.writer import yaml_scalar
from reconciler.errors import ExistingFileError
from reconciler.ledger.base import Ledger, Scope, TeamObservation, Wallet
from reconciler.model import DesiredState, DriftPolicy, Guards, Mode, Organization, Team
from reconciler.periods import Period, PeriodKind, period_at
from reconciler.planning.rules import decide

TEAM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
SCHEMA_LINE = "# yaml-language-server: $schema={path}"


@dataclass(frozen=True, slots=True)
class NewFile:
    path: Path
    text: str
    summary: str  # what the file declares, for the command's output


@dataclass(frozen=True, slots=True)
class ImportPlan:
    files: tuple[NewFile, ...]
    warnings: tuple[str, ...]


def default_organization(org_id: str) -> Organization:
    return Organization(
        id=org_id,
        period=PeriodKind.MONTHLY,
        headroom=0,
        mode=Mode.PERIOD,
        rollover=False,
        drift=DriftPolicy.WARN,
        guards=Guards(),
    )


def has_documents(budgets_dir: Path) -> bool:
    """Whether the directory holds any budgets file (``*.yaml``/``*.yml``, dot names skipped)."""
    if not budgets_dir.is_dir():
        return False
    for _current, dirnames, filenames in os.walk(budgets_dir):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        if any(n.endswith((".yaml", ".yml")) and not n.startswith(".") for n in filenames):
            return True
    return False


def plan_import(
    budgets_dir: Path, ledger: Ledger, existing: DesiredState | None, now: datetime
) -> ImportPlan:
    """The files to write (none written yet). ``existing``: the budgets already there."""
    org_wallet = ledger.organization_wallet()
    org = existing.organization if existing else default_organization(org_wallet.owner_id)
    declared = {team.id for team in existing.teams} if existing else set()
    period = period_at(org.period, now)
    warnings: list[str] = []
    wallets: list[Wallet] = []
    for wallet in sorted(ledger.list_wallets(), key=lambda w: w.owner_id):
        if wallet.scope is not Scope.TEAM or wallet.owner_id in declared:
            continue
        if not TEAM_ID.fullmatch(wallet.owner_id):
            warnings.append(
                f"team wallet {wallet.id}: owner id {wallet.owner_id[:40]!r} is not a valid "
                "team id; left unmanaged"
            )
            continue
        wallets.append(wallet)
    observed = ledger.observe([w.owner_id for w in wallets], period)
    files: list[NewFile] = []
    if existing is None:
        files.append(_organization_file(budgets_dir, org, org_wallet, now))
    names = _file_names([w.owner_id for w in wallets])
    for wallet in wallets:
        team, warning = choose_team(wallet, org, observed[wallet.owner_id], period, now)
        if warning:
            warnings.append(warning)
        path = budgets_dir / "teams" / f"{names[wallet.owner_id]}.yaml"
        files.append(_team_file(path, budgets_dir, team, org, observed[wallet.owner_id], period))
    if existing is None or existing.gateway is None:
        files.append(_gateway_file(budgets_dir, [w.owner_id for w in wallets], names))
    return ImportPlan(tuple(files), tuple(warnings))


def write_files(files: Iterable[NewFile]) -> None:
    """Write every file, or none when any exists (ExistingFileError naming the first)."""
    files = list(files)
    for new in files:
        if new.path.exists() or new.path.is_symlink():
            raise ExistingFileError(
                f"{new.path} exists: import never overwrites a file; move it away or import "
                "into another directory"
            )
    for new in files:
        new.path.parent.mkdir(parents=True, exist_ok=True)
        with new.path.open("x", encoding="utf-8") as handle:
            handle.write(new.text)


def choose_team(
    wallet: Wallet, org: Organization, obs: TeamObservation, period: Period, now: datetime
) -> tuple[Team, str | None]:
    """The Team whose envelope matches the ledger now, and a warning when none matches."""
    name = wallet.name if wallet.name and wallet.name != wallet.owner_id else wallet.owner_id
    settings = [(org.mode, org.rollover)]
    if org.mode is Mode.PERIOD:
        settings.append((Mode.PERIOD, not org.rollover))
    else:
        settings += [(Mode.PERIOD, False), (Mode.PERIOD, True)]
    for mode, rollover in settings:
        envelope = _envelope(obs, mode, rollover)
        if envelope < 0 or not money.is_whole_cents(envelope):
            continue
        team = Team(wallet.owner_id, name, envelope, mode, rollover, org.drift)
        decision = decide(team, obs, None, now, period_start=period.start)
        if decision.action is None and decision.deficit is None:
            return team, None
    exact = _envelope(obs, org.mode, org.rollover)
    cents = money.CENT_MICROS
    nearest = max(0, (exact + cents // 2) // cents * cents)
    team = Team(wallet.owner_id, name, nearest, org.mode, org.rollover, org.drift)
    decision = decide(team, obs, None, now, period_start=period.start)
    moves = (
        f"{decision.action.value} {money.format_usd(decision.amount)}"
        if decision.action is not None
        else "show a deficit"
    )
    return team, (
        f"{wallet.owner_id}: no whole-cent envelope matches the ledger exactly "
        f"({money.format_usd(exact)}); wrote {money.format_usd(nearest)}, so the first plan "
        f"will {moves}"
    )


def _envelope(obs: TeamObservation, mode: Mode, rollover: bool) -> int:
    if mode is Mode.BALANCE:
        return obs.available
    allocated = sum(flow.amount for flow in obs.flows)
    return allocated + (0 if rollover else obs.carry)


def _file_names(team_ids: list[str]) -> dict[str, str]:
    """``team_engineering`` -> ``engineering`` (as in the samples); the whole id on a clash."""
    short = {
        t: (t[len("team_") :] if t.startswith("team_") and len(t) > 5 else t) for t in team_ids
    }
    short = {t: s.replace(":", "-") for t, s in short.items()}
    clashes = {s for s in short.values() if list(short.values()).count(s) > 1}
    return {t: (t.replace(":", "-") if s in clashes else s) for t, s in short.items()}


def _schema_line(path: Path, budgets_dir: Path, schema: str) -> str:
    target = os.path.abspath(budgets_dir.parent / "schemas" / schema)
    return SCHEMA_LINE.format(path=os.path.relpath(target, os.path.abspath(path.parent)))


def _organization_file(
    budgets_dir: Path, org: Organization, wallet: Wallet, now: datetime
) -> NewFile:
    path = budgets_dir / "organization.yaml"
    lines = [
        _schema_line(path, budgets_dir, "organization.schema.json"),
        "#",
        f"# Imported by `reconciler import` at {iso_utc(now)}: the organization wallet held",
        f"# {money.format_usd(wallet.available)} available. Check your edits with",
        "# `reconciler validate`. The ledger comes from --ledger or KEEPTRUSTS_API_URL, or add",
        "# `ledger: https://...` here.",
        "apiVersion: reconciler/v1",
        "kind: Organization",
        f"id: {yaml_scalar(org.id)}",
        f"period: {org.period.value}      # monthly | quarterly | weekly | none",
        "headroom: 0.00      # credits the organization wallet keeps available; raise it",
        "defaults:",
        f"  mode: {org.mode.value}",
        f"  rollover: {'true' if org.rollover else 'false'}",
        f"  drift: {org.drift.value}",
    ]
    return NewFile(path, "\n".join(lines) + "\n", f"organization {org.id}")


def _team_file(
    path: Path,
    budgets_dir: Path,
    team: Team,
    org: Organization,
    obs: TeamObservation,
    period: Period,
) -> NewFile:
    usd = money.format_usd
    allocated = sum(flow.amount for flow in obs.flows)
    lines = [
        _schema_line(path, budgets_dir, "team.schema.json"),
        "#",
        f"# Imported by `reconciler import` (period {period.id}): {usd(allocated)} allocated",
        f"# this period, carry {usd(obs.carry)} (balance at the period start), available",
        f"# {usd(obs.available)}. The envelope is what the ledger holds for this period, so the",
        "# first plan after committing this file moves nothing. Change it in a pull request.",
        "apiVersion: reconciler/v1",
        "kind: Team",
        f"id: {yaml_scalar(team.id)}",
    ]
    if team.name != team.id:
        lines.append(f"name: {yaml_scalar(team.name)}")
    lines.append(f"envelope: {money.decimal_str(team.envelope)}")
    if team.mode is not org.mode:
        lines.append(f"mode: {team.mode.value}    # the organization default matches no envelope")
    if team.rollover is not org.rollover:
        flag = "true" if team.rollover else "false"
        why = "carry stays: keeps the first plan empty" if team.rollover else "carry returns"
        lines.append(f"rollover: {flag}    # {why}")
    lines.append('# owners: ["@org/team-leads"]   # reviewers (see `reconciler codeowners`)')
    summary = f"{team.id}, envelope {usd(team.envelope)}"
    return NewFile(path, "\n".join(lines) + "\n", summary)


def _gateway_file(budgets_dir: Path, team_ids: list[str], names: dict[str, str]) -> NewFile:
    path = budgets_dir / "gateway.yaml"
    lines = [
        _schema_line(path, budgets_dir, "gateway-config.schema.json"),
        "#",
        "# Which gateway consumer group pays from which team wallet. The wallet ledger does not",
        "# know the gateway's consumer groups, so import leaves the list empty: add one entry",
        "# per group (like the commented lines), then compare with the running gateway:",
        "#   reconciler gateway diff --gateway-url https://gateway.example.com",
        "apiVersion: reconciler/v1",
        "kind: GatewayConfig",
        "consumer_groups: []",
    ]
    for team_id in team_ids:
        lines += [
            f"#  - id: {yaml_scalar(names[team_id])}",
            f"#    wallet_team_id: {yaml_scalar(team_id)}",
        ]
    lines += ["cost_tracking:", "  wallet_enforcement: false"]
    return NewFile(path, "\n".join(lines) + "\n", "gateway config (no consumer groups yet)")
