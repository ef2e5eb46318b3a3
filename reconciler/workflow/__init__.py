"""The use cases behind the commands, end to end; commands only parse and print.

Order matters and is the same everywhere: the budgets are validated before any ledger is opened
(nothing invalid ever reaches a ledger), then git is asked for the commit and the dirty paths
(``budgets.locate``), then the ledger is opened (``ledgers.open_ledger``: the sandbox for
``sqlite:///``, the client for ``http(s)://``) and read once, ``history.read`` gathers the git
facts, and the pure planner runs (``plans.make_plan``). Around the executor: the git rules
before an apply and the checks after (``applying``). The report use cases have their own
modules (``audit`` for audit, blame and drift; ``whatif``; ``importing``). Every name a command
calls is re-exported here, and its module is imported when the name is first used: ``plan``
never loads the executor, the audit or the what-if replay (a fifth of its start-up).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.workflow.applying import (
        check_empty,
        check_result_path,
        check_same_organization,
        check_tree,
        checked_saved_plan,
        closing_check,
        verdict,
        verify_saved,
        write_result,
    )
    from reconciler.workflow.audit import (
        AuditRun,
        audit_report,
        blame,
        check_team,
        drift,
        run_audit,
    )
    from reconciler.workflow.budgets import (
        NO_COMMIT,
        Budgets,
        budgets_root,
        gateway_config,
        load_budgets,
        locate,
    )
    from reconciler.workflow.importing import import_budgets
    from reconciler.workflow.ledgers import (
        ledger_target,
        observe,
        open_ledger,
        opened,
        organization_wallet,
        plan_ledger,
    )
    from reconciler.workflow.plans import exhaustion, make_plan, read_plan, write_plan
    from reconciler.workflow.whatif import plan_whatif, whatif_report

_HOMES: dict[str, tuple[str, ...]] = {
    "applying": (
        "check_empty",
        "check_result_path",
        "check_same_organization",
        "check_tree",
        "checked_saved_plan",
        "closing_check",
        "verdict",
        "verify_saved",
        "write_result",
    ),
    "audit": (
        "AuditRun",
        "audit_report",
        "blame",
        "check_team",
        "drift",
        "run_audit",
    ),
    "budgets": (
        "NO_COMMIT",
        "Budgets",
        "budgets_root",
        "gateway_config",
        "load_budgets",
        "locate",
    ),
    "importing": ("import_budgets",),
    "ledgers": (
        "ledger_target",
        "observe",
        "open_ledger",
        "opened",
        "organization_wallet",
        "plan_ledger",
    ),
    "plans": (
        "exhaustion",
        "make_plan",
        "read_plan",
        "write_plan",
    ),
    "whatif": (
        "plan_whatif",
        "whatif_report",
    ),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> object:
    """``name`` from its module, imported now (PEP 562); kept here for the next use."""
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "NO_COMMIT",
    "AuditRun",
    "Budgets",
    "audit_report",
    "blame",
    "budgets_root",
    "check_empty",
    "check_result_path",
    "check_same_organization",
    "check_team",
    "check_tree",
    "checked_saved_plan",
    "closing_check",
    "drift",
    "exhaustion",
    "gateway_config",
    "import_budgets",
    "ledger_target",
    "load_budgets",
    "locate",
    "make_plan",
    "observe",
    "open_ledger",
    "opened",
    "organization_wallet",
    "plan_ledger",
    "plan_whatif",
    "read_plan",
    "run_audit",
    "verdict",
    "verify_saved",
    "whatif_report",
    "write_plan",
    "write_result",
]
