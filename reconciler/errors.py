"""The exceptions reconciler raises, and the exit code each one maps to.

Every error the library raises on purpose derives from :class:`ReconcilerError`. Library
exceptions (httpx, sqlite3, yaml, jsonschema, subprocess) are translated at the boundary with
``raise X(...) from exc`` and never reach the CLI untranslated.

    ReconcilerError                 exit 1
    ├── ConfigError                 invalid budgets (carries every diagnostic)
    ├── UsageError                  exit 64: bad flags or arguments the parser could not catch
    ├── MissingExtra                an optional extra (e.g. ``sandbox``) is not installed
    ├── GitError                    not a repository, git missing, bad revision
    │   ├── DirtyTreeError          uncommitted or untracked changes under the budgets directory
    │   ├── NoCommitError           the repository has no commit yet
    │   └── ShallowCloneError       history is needed but the clone is shallow
    ├── LedgerError                 anything the ledger refused or could not do
    │   ├── LedgerConfigError       no ledger URL, an unsupported one, or plain http off loopback
    │   ├── LedgerUnavailable       network failure, timeout, 5xx after retries
    │   │   └── AmbiguousWrite      a write may or may not have happened (lost response)
    │   ├── LedgerAuthError         401 / 403
    │   ├── LedgerNotFound          404: wallet or route unknown
    │   ├── LedgerConflict          409: idempotency key reused with another body
    │   ├── InsufficientFunds       the source wallet cannot cover the amount (422 / 402)
    │   ├── BudgetExceeded          reserve: no wallet in the cascade covers the estimate (402)
    │   └── LedgerRequestInvalid    422: the ledger rejected the request body
    ├── PlanError                   the plan cannot be made or applied as it is
    │   ├── FundingError            allocations cannot be funded above headroom
    │   ├── GuardError              a guard is exceeded and not overridden
    │   ├── StalePlanError          a saved plan no longer matches the ledger, commit or period
    │   └── EditedPlanError         a saved plan states what the budgets and ledger do not give
    ├── GatewayError                the running gateway's config could not be read (unreachable,
    │                               refused, malformed answer, plain http off loopback)
    ├── ExistingFileError           a command would overwrite a file that exists (import)
    ├── PartialApplyError           exit 3: some movements made, some failed (resumable)
    └── Interrupted                 exit 130: Ctrl-C during an apply, after its result was kept
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.clock import Seconds

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_PARTIAL = 3
EXIT_USAGE = 64
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130

EXIT_MEANINGS: Mapping[int, str] = {
    EXIT_OK: "success, nothing to do",
    EXIT_ERROR: "error: invalid budgets, ledger error, stale plan, guard refusal,\n"
    "      dirty or commit-less tree, plain http to a non-loopback host",
    EXIT_CHANGES: "success with changes pending (--detailed-exitcode)",
    EXIT_PARTIAL: "partial apply: some movements made, some failed; re-run to resume",
    EXIT_USAGE: "usage error",
    EXIT_INTERNAL: "internal error (a crash log with the traceback is written)",
    EXIT_INTERRUPTED: "interrupted",
}


def exit_codes_help(codes: Iterable[int], meanings: Mapping[int, str] | None = None) -> str:
    """The ``Exit codes:`` epilog of a command: only ``codes`` (the ones it can return), each
    with its meaning in ``meanings`` or the general one."""
    own = meanings or {}
    lines = [f"  {code:<3} {own.get(code, EXIT_MEANINGS[code])}" for code in codes]
    return "\b\nExit codes:\n" + "\n".join(lines) + "\n"


class ReconcilerError(Exception):
    """Root of every error reconciler raises on purpose. ``str(err)`` is the one-line message."""

    exit_code: int = EXIT_ERROR


class ConfigError(ReconcilerError):
    """The budgets directory is invalid. ``diagnostics`` holds every problem found."""

    def __init__(self, message: str, diagnostics: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics


class UsageError(ReconcilerError):
    exit_code = EXIT_USAGE


class MissingExtra(ReconcilerError):
    """A command needs packages of an optional extra; the message says what to install."""


class GitError(ReconcilerError):
    pass


class DirtyTreeError(GitError):
    pass


class NoCommitError(GitError):
    pass


class ShallowCloneError(GitError):
    """Adoption and drift depend on history: a shallow clone would hide it (DESIGN §6)."""


class LedgerError(ReconcilerError):
    pass


class LedgerConfigError(LedgerError):
    pass


class LedgerUnavailable(LedgerError):
    """The ledger could not answer. ``retry_after``: seconds the service asked callers to wait
    (an HTTP ``Retry-After``), when it said; retry loops wait at least that long."""

    retry_after: Seconds | None = None


class AmbiguousWrite(LedgerUnavailable):
    """A write was sent but its outcome is unknown (timeout, reset, 5xx after sending).

    The executor resolves it by searching the team wallet for the op key before any retry.
    """


class LedgerAuthError(LedgerError):
    pass


class LedgerNotFound(LedgerError):
    pass


class LedgerConflict(LedgerError):
    pass


class InsufficientFunds(LedgerError):
    pass


class BudgetExceeded(LedgerError):
    pass


class LedgerRequestInvalid(LedgerError):
    pass


class PlanError(ReconcilerError):
    pass


class FundingError(PlanError):
    pass


class GuardError(PlanError):
    pass


class StalePlanError(PlanError):
    pass


class EditedPlanError(PlanError):
    """A saved plan states something that the budgets and the ledger do not give."""


class GatewayError(ReconcilerError):
    pass


class ExistingFileError(ReconcilerError):
    pass


class PartialApplyError(ReconcilerError):
    """Some movements were made and some were not; re-running the same apply resumes."""

    exit_code = EXIT_PARTIAL


class Interrupted(ReconcilerError):
    """Ctrl-C stopped a run after its result was recorded (the message says what is known)."""

    exit_code = EXIT_INTERRUPTED


EXIT_CODES_HELP = exit_codes_help(EXIT_MEANINGS)
