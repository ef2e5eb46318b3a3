"""Open and read the ledger the budgets (or a saved plan) name: ``sqlite:///`` opens the
embedded sandbox, ``http(s)://`` the client; the organization wallet is checked to be the
budgets' organization before anything is read."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from reconciler.clock import Clock
from reconciler.errors import (
    LedgerConfigError,
)
from reconciler.ledger import LedgerTarget, open_http, resolve_ledger_url, scheme_of, sqlite_path
from reconciler.ledger.base import Ledger, Observed, Scope, Wallet
from reconciler.model import DesiredState
from reconciler.periods import Period
from reconciler.planning.types import Plan
from reconciler.workflow.budgets import Budgets


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


def organization_wallet(
    ledger: Ledger, org_id: str, listed: Sequence[Wallet] | None = None
) -> Wallet:
    """The ledger's organization wallet (the one in ``listed``, a wallet list just read, when
    given: over HTTP that is every page of the list again); LedgerConfigError when it belongs
    to another org."""
    found = [w for w in listed or () if w.scope is Scope.ORGANIZATION]
    wallet = found[0] if len(found) == 1 else ledger.organization_wallet()
    if wallet.owner_id != org_id:
        raise LedgerConfigError(
            f"the ledger is organization {wallet.owner_id}'s, but the budgets are for {org_id}: "
            "check --ledger / KEEPTRUSTS_API_URL (and the token)"
        )
    return wallet


def observe(ledger: Ledger, desired: DesiredState, period: Period) -> Observed:
    wallets = ledger.list_wallets()
    return Observed(
        org_wallet=organization_wallet(ledger, desired.organization.id, wallets),
        team_wallets=tuple(w for w in wallets if w.scope is Scope.TEAM),
        teams=ledger.observe([t.id for t in desired.teams], period),
    )


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
