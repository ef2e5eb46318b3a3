"""The glue that ``plan`` and ``apply`` share: load, locate, observe, plan.

Order matters and is the same everywhere: the budgets are validated before any ledger is opened
(nothing invalid ever reaches a ledger), then git is asked for the commit, the dirty paths and
when each team came under management, then the ledger is read once and the pure planner runs.

The clock is injectable for tests through the environment variable ``RECONCILER_NOW``
(ISO-8601, e.g. ``2026-11-28T12:00:00Z``): a fixed instant used for the period, the plan and the
sandbox ledger's timestamps. It is a test hook, deliberately absent from every ``--help``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reconciler import git, notes
from reconciler.errors import (
    ConfigError,
    GitError,
    LedgerConfigError,
    NoCommitError,
    PlanError,
    UsageError,
)
from reconciler.ledger import LedgerTarget, open_ledger, resolve_ledger_url
from reconciler.ledger.base import Ledger, Scope, Wallet
from reconciler.model import DesiredState
from reconciler.periods import Clock, Period, period_at, utc_now
from reconciler.planning import planner
from reconciler.planning.types import Observed, Plan, RoutingChange

ENV_NOW = "RECONCILER_NOW"


def clock_from_env(environ: Mapping[str, str] | None = None) -> Clock:
    """``utc_now``, or the fixed instant in ``RECONCILER_NOW`` (a test-only hook)."""
    env = os.environ if environ is None else environ
    text = env.get(ENV_NOW)
    if not text:
        return utc_now
    try:
        fixed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(f"{ENV_NOW}={text!r} is not an ISO-8601 time") from exc
    if fixed.tzinfo is None:
        raise UsageError(f"{ENV_NOW}={text!r} needs a UTC offset (e.g. 2026-11-28T12:00:00Z)")
    earliest, latest = (
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(9998, 12, 31, 23, 59, 59, tzinfo=UTC),
    )
    if not earliest <= fixed <= latest:  # every period around it must have a representable end
        raise UsageError(
            f"{ENV_NOW}={text!r} is out of range: use a UTC time from 1970-01-01T00:00:00Z to "
            "9998-12-31T23:59:59Z"
        )
    fixed = fixed.astimezone(UTC)
    return lambda: fixed


@dataclass(frozen=True, slots=True)
class Budgets:
    """A validated budgets directory and the git facts about it."""

    directory: Path
    desired: DesiredState
    warnings: tuple[str, ...]
    repo: Path
    commit: str
    dirty: tuple[str, ...]


def load_budgets(directory: Path) -> tuple[DesiredState, tuple[str, ...]]:
    """Validate the budgets (ConfigError naming the first problem) and return their warnings."""
    from reconciler import config

    desired, warnings = config.load(directory)
    return desired, tuple(str(w) for w in warnings)


NO_COMMIT = "0" * 40


def locate(directory: Path, *, require_commit: bool = True) -> Budgets:
    """Validate the budgets, then read the repository's HEAD and dirty paths.

    Without ``require_commit`` a repository with no commit yet plans against the all-zero SHA
    (the plan is then marked dirty and can never be applied as a file: its commit is not HEAD).
    """
    desired, warnings = load_budgets(directory)
    repo = git.repo_root(directory)
    git.check_full_history(directory)
    try:
        commit = git.head_commit(directory)
    except NoCommitError as exc:
        if require_commit:
            raise
        commit = NO_COMMIT
        warnings = (*warnings, f"{exc} (this plan uses commit {NO_COMMIT[:7]})")
    return Budgets(
        directory=directory,
        desired=desired,
        warnings=warnings,
        repo=repo,
        commit=commit,
        dirty=tuple(git.dirty_paths(directory)),
    )


def ledger_target(
    flag: str | None,
    desired: DesiredState,
    repo: Path,
    *,
    recorded: str | None = None,
) -> LedgerTarget:
    """``--ledger`` > ``KEEPTRUSTS_API_URL`` > the plan's recorded URL > the Organization's."""
    return resolve_ledger_url(flag, recorded or desired.organization.ledger, repo_root=repo)


@contextmanager
def opened(target: LedgerTarget, *, insecure: bool, clock: Clock) -> Iterator[Ledger]:
    ledger = open_ledger(target, insecure=insecure, clock=clock)
    try:
        yield ledger
    finally:
        ledger.close()


def organization_wallet(ledger: Ledger, org_id: str) -> Wallet:
    """The ledger's organization wallet; LedgerConfigError when it belongs to another org."""
    wallet = ledger.organization_wallet()
    if wallet.owner_id != org_id:
        raise LedgerConfigError(
            f"the ledger is organization {wallet.owner_id}'s, but the budgets are for {org_id}: "
            "check --ledger / KEEPTRUSTS_API_URL (and the token)"
        )
    return wallet


def observe(ledger: Ledger, desired: DesiredState, period: Period) -> Observed:
    org_wallet = organization_wallet(ledger, desired.organization.id)
    wallets = ledger.list_wallets()
    return Observed(
        org_wallet=org_wallet,
        team_wallets=tuple(w for w in wallets if w.scope is Scope.TEAM),
        teams=ledger.observe([t.id for t in desired.teams], period),
    )


def last_applied_commit(ledger: Ledger, observed: Observed) -> str | None:
    """The commit of the newest reconciler note: this period's team flows first, else the
    organization wallet's whole history (every movement leaves its note there too)."""
    newest: tuple[datetime, str] | None = None
    for obs in observed.teams.values():
        for flow in obs.flows:
            note = notes.parse_note(flow.note)
            if note is not None and (newest is None or flow.created_at >= newest[0]):
                newest = (flow.created_at, note.commit)
    if newest is not None:
        return newest[1]
    for entry in ledger.transactions(observed.org_wallet.id):
        note = notes.parse_note(entry.note)
        if note is not None and (newest is None or entry.created_at >= newest[0]):
            newest = (entry.created_at, note.commit)
    return newest[1] if newest else None


def routing(
    budgets: Budgets, ledger: Ledger, observed: Observed, base: str | None
) -> tuple[tuple[RoutingChange, ...], str | None]:
    """Consumer-group mapping changes vs ``base`` (or the last applied commit), and a warning
    when that revision cannot be read."""
    rev = base if base is not None else last_applied_commit(ledger, observed)
    if rev is None:
        return planner.routing_changes(None, budgets.desired.gateway), None
    try:
        before = git.load_at(budgets.directory, rev)
    except GitError as exc:
        if base is not None:
            raise
        return (), f"routing changes not shown: last applied commit {rev[:7]} unreadable ({exc})"
    except ConfigError:
        return (), f"routing changes not shown: the budgets at {rev[:7]} do not validate"
    gateway_before = before.gateway if before is not None else None
    return planner.routing_changes(gateway_before, budgets.desired.gateway), None


def previous_envelopes(budgets: Budgets, observed: Observed) -> dict[str, int]:
    """Each team's envelope at the commit of its newest reconciler movement this period.

    Only used to word reasons ("envelope raised X → Y" is said only when X was the envelope the
    last apply brought the team to). A commit that cannot be read or does not validate, or a
    team absent there, leaves the team out (the reason is then worded neutrally).
    """
    newest: dict[str, str] = {}
    for team_id, obs in observed.teams.items():
        for flow in obs.flows:  # ledger order: the last one wins
            note = notes.parse_note(flow.note)
            if note is not None:
                newest[team_id] = note.commit
    result: dict[str, int] = {}
    for commit in sorted(set(newest.values())):
        try:
            before = git.load_at(budgets.directory, commit)
        except (GitError, ConfigError):
            continue
        if before is None:
            continue
        envelopes = {t.id: t.envelope for t in before.teams if not t.removed}
        for team_id, team_commit in newest.items():
            if team_commit == commit and team_id in envelopes:
                result[team_id] = envelopes[team_id]
    return result


def make_plan(
    budgets: Budgets,
    ledger: Ledger,
    *,
    now: datetime,
    base: str | None = None,
    override_reason: str | None = None,
    ledger_url: str | None = None,
    with_routing: bool = True,
) -> tuple[Plan, tuple[str, ...]]:
    """Observe and plan; returns the plan and warnings for stderr (besides the plan's own)."""
    if override_reason is not None:
        notes.check_override_reason(override_reason)
    desired = budgets.desired
    period = period_at(desired.organization.period, now)
    observed = observe(ledger, desired, period)
    changes: tuple[RoutingChange, ...] = ()
    warning: str | None = None
    if with_routing:
        changes, warning = routing(budgets, ledger, observed, base)
    since = git.managed_since(budgets.directory, [t.id for t in desired.teams])
    result = planner.plan(
        desired,
        observed,
        commit=budgets.commit,
        dirty=bool(budgets.dirty) or budgets.commit == NO_COMMIT,
        now=now,
        managed_since=since,
        previous_envelopes=previous_envelopes(budgets, observed),
        routing=changes,
        override_reason=override_reason,
        ledger_url=ledger_url,
    )
    return result, (warning,) if warning else ()


def write_plan(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write the plan to {path}: {exc.strerror}") from exc


def read_plan(path: Path) -> Plan:
    from reconciler.planning import document as plandoc

    if path.suffix in {".yaml", ".yml"}:
        raise UsageError(
            f"{path} is a budgets file, not a plan: pass the budgets directory "
            f"(reconciler apply {path.parent}) or a plan file made with `reconciler plan --out`"
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the plan file {path}: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlanError(
            f"{path} is not a plan document: it is not UTF-8 text (byte {exc.start}); make the "
            "plan again with `reconciler plan --out`"
        ) from exc
    return plandoc.loads(text, source=str(path))


def plan_ledger(flag: str | None, saved: Plan, budgets: Budgets) -> LedgerTarget:
    """The ledger a saved plan was made against; another one named by ``--ledger`` or
    ``KEEPTRUSTS_API_URL`` is refused, naming both (DESIGN §8)."""
    asked = ledger_target(flag, budgets.desired, budgets.repo, recorded=saved.ledger)
    if saved.ledger is not None and asked.url != saved.ledger:
        where = "--ledger" if asked.source == "flag" else "KEEPTRUSTS_API_URL"
        raise LedgerConfigError(
            f"plan {saved.plan_id} was made against the ledger {saved.ledger}, but {where} "
            f"names {asked.url}: apply it to its own ledger, or make a new plan against this one"
        )
    return asked
