"""``import``: write budgets files from what the ledger holds."""

from __future__ import annotations

from pathlib import Path

from reconciler import git
from reconciler.clock import Clock
from reconciler.errors import (
    GitError,
)
from reconciler.importer import ImportPlan, has_documents, plan_import, write_files
from reconciler.ledger import resolve_ledger_url
from reconciler.model import DesiredState
from reconciler.workflow.budgets import load_budgets
from reconciler.workflow.ledgers import opened, organization_wallet


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
