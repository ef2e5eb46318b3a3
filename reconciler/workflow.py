"""The use cases behind ``plan``, ``show``, ``apply`` and ``whatif``, end to end; commands only
parse and print.

Order matters and is the same everywhere: the budgets are validated before any ledger is opened
(nothing invalid ever reaches a ledger), then git is asked for the commit and the dirty paths,
then the ledger is opened (``open_ledger``: the sandbox for ``sqlite:///``, the client for
``http(s)://``) and read once, ``history.read`` gathers the git facts, and the pure planner runs.
Around the executor: the git rules before an apply (``check_tree``, ``check_same_organization``,
``check_result_path``), the verdict after (``verdict``: exit 3 when some movements were made and
some failed), and the plan made again, which must be empty (``check_empty``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from reconciler import git, history, notes, usage
from reconciler.clock import Clock
from reconciler.errors import (
    ConfigError,
    DirtyTreeError,
    GitError,
    Interrupted,
    LedgerConfigError,
    NoCommitError,
    PartialApplyError,
    PlanError,
    ReconcilerError,
    UsageError,
)
from reconciler.executor import ApplyResult, StepStatus
from reconciler.importer import ImportPlan, has_documents, plan_import, write_files
from reconciler.ledger import LedgerTarget, open_http, resolve_ledger_url, scheme_of, sqlite_path
from reconciler.ledger.base import Ledger, Observed, Scope, Wallet
from reconciler.model import DesiredState, GatewayConfig, Mode
from reconciler.periods import Period, PeriodKind, period_at
from reconciler.planning import planner
from reconciler.planning.types import Change, Exhaustion, Plan, describe
from reconciler.render import apply as render_apply
from reconciler.whatif import Report, compare
from reconciler.whatif_history import periods_to_replay, read_history, replayable


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


def budgets_root(budgets_dir: Path) -> Path:
    """Where a relative ``sqlite:///`` ledger path starts for commands that need no history
    (usage, suggest): the git repository's root, or the budgets directory's parent outside git."""
    try:
        return git.repo_root(budgets_dir)
    except GitError:
        return budgets_dir.resolve().parent


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
    facts, warnings = history.read(
        budgets.directory,
        desired,
        ledger,
        observed,
        commit=budgets.commit,
        dirty=bool(budgets.dirty) or budgets.commit == NO_COMMIT,
        base=base,
        with_routing=with_routing,
    )
    result = planner.plan(
        desired,
        observed,
        facts,
        now=now,
        override_reason=override_reason,
        ledger_url=ledger_url,
        exhaustion=exhaustion(desired, ledger, period, now),
    )
    return result, warnings


def exhaustion(
    desired: DesiredState, ledger: Ledger, period: Period, now: datetime
) -> tuple[Exhaustion, ...]:
    """Teams whose envelope the forecast (usage, from settlements) sees running out before the
    period ends; none for ``period: none`` (no end to run out before)."""
    if period.kind is PeriodKind.NONE:
        return ()
    last_day = (period.end - timedelta(days=1)).date()
    found = []
    for row in usage.compute(desired, ledger, period, now).teams:
        runs_out = row.forecast.exhaustion
        if runs_out is None or runs_out > last_day or row.envelope <= 0:
            continue
        projected = row.forecast.projected_spend or row.spent
        found.append(
            Exhaustion(row.team_id, runs_out, (last_day - runs_out).days, projected, row.envelope)
        )
    return tuple(found)


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


_LISTED = 5


def check_tree(budgets: Budgets, *, allow_dirty: bool, plan: Plan | None = None) -> None:
    if budgets.dirty and not allow_dirty:
        shown = ", ".join(budgets.dirty[:_LISTED])
        more = len(budgets.dirty) - _LISTED
        if more > 0:
            shown += f" and {more} more"
        raise DirtyTreeError(
            f"{budgets.directory} has uncommitted changes ({shown}): commit them, or pass "
            "--allow-dirty to apply anyway (the ledger notes will say dirty)"
        )
    if plan is not None and plan.dirty and not allow_dirty:
        raise DirtyTreeError(
            f"plan {plan.plan_id} was made from uncommitted budgets: make it again from a clean "
            "tree, or pass --allow-dirty to apply it anyway (the ledger notes will say dirty)"
        )


def check_same_organization(plan: Plan, budgets: Budgets) -> None:
    org_id = budgets.desired.organization.id
    if org_id != plan.org_id:
        raise UsageError(
            f"plan {plan.plan_id} is for {plan.org_id} but {budgets.directory} is {org_id}'s "
            "budgets: pass the budgets directory the plan was made from with --budgets DIR"
        )


def verdict(result: ApplyResult) -> None:
    """Raise when the run did not complete: Interrupted (exit 130) after Ctrl-C, PartialApplyError
    (exit 3) if it moved anything or a write's outcome is unknown, else PlanError (exit 1)."""
    if result.complete and not result.interrupted:
        return
    unknown = result.unknown
    failed = result.failed
    first = (unknown or failed)[0].detail if (unknown or failed) else "not attempted"
    moved = len(result.applied)
    pending = sum(1 for s in result.steps if s.status is not StepStatus.APPLIED)
    pending -= sum(1 for s in result.steps if s.status is StepStatus.SKIPPED)
    if result.interrupted:
        flight = (
            f"the outcome of {len(unknown)} movement(s) is unknown: a write may still be in flight"
            if unknown
            else "no write was in flight"
        )
        raise Interrupted(
            f"interrupted: applied {moved} of {len(result.steps)} movements; {flight}; re-run "
            "the same apply to resume (it checks every op key first)"
        )
    if unknown:
        raise PartialApplyError(
            f"applied {moved} of {len(result.steps)} movements, {len(unknown)} with an unknown "
            f"outcome, {pending - len(unknown)} not made: {first}"
        )
    if moved:
        raise PartialApplyError(
            f"applied {moved} of {len(result.steps)} movements, {pending} not made: {first}"
            + ("" if "re-run" in first else "; re-run the same apply to resume")
        )
    raise PlanError(f"nothing was moved ({pending} movement(s) not made): {first}")


def check_empty(after: Plan, result: ApplyResult, desired: DesiredState) -> tuple[str, ...]:
    """The plan made again after a complete run must have no changes, or PlanError.

    One exception: a balance-mode team this run just moved. Its target is its *available*
    balance, which live traffic changes between the movement and this check; what is left is
    reported (returned as notes for stderr) for the next apply, not treated as a failure.
    """
    done = {
        s.change.team_id
        for s in result.steps
        if s.status in {StepStatus.APPLIED, StepStatus.SKIPPED}
    }
    moving: list[Change] = []
    notes: list[str] = []
    for change in after.changes:
        team = desired.team(change.team_id)
        if team is not None and team.mode is Mode.BALANCE and change.team_id in done:
            notes.append(
                f"{change.team_id} (balance mode): spend or holds during the apply changed its "
                f"available balance; the next apply will {describe(change)}"
            )
        else:
            moving.append(change)
    if not moving:
        return tuple(notes)
    listed = "; ".join(describe(c) for c in moving[:_LISTED])
    more = len(moving) - _LISTED
    if more > 0:
        listed += f"; and {more} more"
    raise PlanError(
        f"apply finished but the plan is not empty: {len(moving)} change(s) remain "
        f"({listed}): run `reconciler plan` to see why"
    )


def open_ledger(
    target: LedgerTarget,
    *,
    insecure: bool = False,
    clock: Clock | None = None,
    environ: Mapping[str, str] | None = None,
) -> Ledger:
    """Open the ledger a resolved URL names: the embedded sandbox for ``sqlite:///``, else the
    Keeptrusts API or a sandbox server (``ledger.open_http``)."""
    if scheme_of(target.url) == "sqlite":
        from reconciler.sandbox.ledger import SqliteLedger

        path = sqlite_path(target.url, target.base_dir)
        return SqliteLedger(path, clock=clock, actor="reconciler")
    return open_http(target, insecure=insecure, environ=environ)


def check_result_path(path: Path) -> None:
    """UsageError unless the result document can be written there: checked before anything
    moves, so a bad path never turns a successful apply into a crash."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UsageError(f"--result {path} is a directory: name a file")
    if not parent.is_dir():
        raise UsageError(f"--result {path}: no such directory {parent}: create it first")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"--result {path}: not writable: choose another path")


def write_result(path: Path, result: ApplyResult) -> None:
    try:
        path.write_text(render_apply.dumps(result), encoding="utf-8")
    except OSError as exc:
        raise ReconcilerError(
            f"the apply finished but its result document could not be written to {path} "
            f"({exc.strerror}); the movements are in the ledger: re-run to see the plan is empty"
        ) from exc


def whatif_report(
    budgets_dir: Path,
    desired: DesiredState,
    ledger: Ledger,
    now: datetime,
    *,
    count: int,
    base: str | None,
    current: bool = False,
) -> Report:
    """``whatif``: ``desired`` replayed over the last ``count`` periods (and the current one so
    far when ``current``) next to the budgets at ``base`` (default: the last applied commit)."""
    periods = periods_to_replay(desired.organization.period, now, count, current=current)
    notes: list[str] = []
    base_state, base_commit = _whatif_base(budgets_dir, desired, ledger, now, base, notes)
    recorded = read_history(ledger, desired, periods, as_of=now)
    first = recorded.first_entry
    kept = replayable(recorded)
    if not kept:
        raise UsageError(
            f"the ledger has no entries before {min(periods[-1].end, now):%Y-%m-%d}: no period "
            "to replay yet (run it after a period with spend has ended, or pass --current)"
        )
    if len(kept) < len(periods):
        assert first is not None
        notes.append(
            f"only {len(kept)} of the {len(periods)} periods have history (the ledger starts "
            f"{first:%Y-%m-%d}): replayed {', '.join(h.period.id for h in kept)}"
        )
    return compare(
        desired,
        kept,
        base=base_state,
        base_commit=base_commit,
        notes=tuple(notes),
        as_of=now if current else None,
    )


def _whatif_base(
    budgets_dir: Path,
    desired: DesiredState,
    ledger: Ledger,
    now: datetime,
    base: str | None,
    notes: list[str],
) -> tuple[DesiredState | None, str | None]:
    if base is None:
        observed = observe(ledger, desired, period_at(desired.organization.period, now))
        base = history.last_applied_commit(ledger, observed)
        if base is None:
            notes.append(
                "no reconciler movement in the ledger yet: only the envelopes in "
                f"{budgets_dir} are replayed (pass --base REV to compare)"
            )
            return None, None
    sha = git.resolve_revision(budgets_dir, base)
    try:
        state = git.load_at(budgets_dir, sha)
    except ConfigError as exc:
        raise ConfigError(
            f"the budgets at {base} ({sha[:7]}) do not validate ({exc}): pass another --base"
        ) from exc
    if state is None:
        raise GitError(f"{budgets_dir} did not exist at {base} ({sha[:7]}): pass a later --base")
    return state, sha


def plan_whatif(
    budgets: Budgets, ledger: Ledger, *, now: datetime, periods: int, base: str | None
) -> tuple[Report | None, tuple[str, ...]]:
    """``plan --whatif N``: the what-if of the plan's budgets against ``base`` (default: the
    last applied commit) and its notes. When it cannot be made (no history yet, period: none,
    an unreadable base) the plan goes on without it and a note says why."""
    try:
        report = whatif_report(
            budgets.directory, budgets.desired, ledger, now, count=periods, base=base
        )
    except ReconcilerError as exc:
        return None, (f"what-if not shown: {exc}",)
    return report, report.notes


def import_budgets(
    directory: Path, ledger_flag: str | None, *, insecure: bool, clock: Clock
) -> tuple[ImportPlan, tuple[str, ...]]:
    """``reconciler import`` end to end: validate what DIR already holds, read the ledger,
    write the new files (none when one exists); the files written and every warning."""
    existing: DesiredState | None = None
    warnings: tuple[str, ...] = ()
    if has_documents(directory):
        existing, warnings = load_budgets(directory)
    try:
        repo = git.repo_root(directory) if directory.is_dir() else Path.cwd()
    except GitError:
        repo = Path.cwd()
    org_ledger = existing.organization.ledger if existing else None
    target = resolve_ledger_url(ledger_flag, org_ledger, repo_root=repo)
    with opened(target, insecure=insecure, clock=clock) as ledger:
        if existing is not None:
            organization_wallet(ledger, existing.organization.id)
        result = plan_import(directory, ledger, existing, clock())
    write_files(result.files)
    return result, (*warnings, *result.warnings)


def gateway_config(directory: Path) -> tuple[GatewayConfig, tuple[str, ...]]:
    """The budgets' GatewayConfig (validated) and their warnings; ConfigError without one."""
    desired, warnings = load_budgets(directory)
    if desired.gateway is None:
        raise ConfigError(
            f"{directory} has no GatewayConfig document: add one with kind: GatewayConfig "
            "(consumer_groups and cost_tracking)"
        )
    return desired.gateway, warnings
