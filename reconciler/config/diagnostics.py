"""What validation found: one ``Diagnostic`` per problem, gathered in a ``Report``.

A diagnostic points at ``file:line:col`` (1-based) and names the key by a readable path:

- ``organization.guards.max_reclaim_per_apply`` for the Organization document;
- ``teams[team_eng].envelope`` for a Team (``teams[?]`` when it has no usable id);
- ``gateway.consumer_groups[support].wallet_team_id`` for the GatewayConfig (list items by id,
  or by 0-based index when they have none);
- empty for problems of a whole file or document (YAML syntax, encoding, size).

``line == 0`` means the problem concerns a whole file or directory (no line to point at);
``str()`` then leaves out the line and column.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from reconciler.text import printable

if TYPE_CHECKING:
    from reconciler.model import DesiredState

# "notice" is no problem: the line that says how many problems of a file are not shown.
Severity = Literal["error", "warning", "notice"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    file: str
    line: int
    col: int
    key_path: str
    message: str
    # Shown by ``validate`` only, not repeated by every plan/apply (a lasting, known state).
    validate_only: bool = field(default=False, compare=False)

    def __str__(self) -> str:
        """The one-line text form, safe for a terminal (see ``printable``)."""
        where = f"{self.file}:{self.line}:{self.col}" if self.line > 0 else self.file
        key = f" {self.key_path}:" if self.key_path else ""
        return printable(f"{where}:{key} {self.message}")

    def sort_key(self) -> tuple[str, int, int, int, str, str]:
        return (
            self.file,
            self.line,
            self.col,
            self.severity != "error",
            self.key_path,
            self.message,
        )


@dataclass(frozen=True, slots=True)
class Report:
    """The outcome of validating a budgets directory; ``state`` is None when there are errors."""

    state: DesiredState | None
    diagnostics: tuple[Diagnostic, ...]
    hidden_errors: int = 0  # errors past MAX_PER_FILE in a file, not in ``diagnostics``
    hidden_warnings: int = 0

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "warning")

    @property
    def error_count(self) -> int:
        """Every error found, shown or not."""
        return len(self.errors) + self.hidden_errors

    @property
    def warning_count(self) -> int:
        return len(self.warnings) + self.hidden_warnings

    @property
    def ok(self) -> bool:
        return self.state is not None and not self.errors


def display_path(path: Path) -> str:
    """``path`` as the user would type it: relative to the working directory when under it."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix() or "."
    except ValueError:
        return absolute.as_posix()


MAX_PER_FILE = 100


@dataclass(frozen=True, slots=True)
class Sorted:
    """Diagnostics in order, at most ``MAX_PER_FILE`` problems per file, and what was left out."""

    shown: tuple[Diagnostic, ...]
    hidden_errors: int
    hidden_warnings: int


def sort_diagnostics(diagnostics: list[Diagnostic]) -> Sorted:
    """Sorted by file, line, column; each problem once; at most ``MAX_PER_FILE`` per file
    (then a notice saying how many more there are, which is not itself a problem)."""
    ordered = sorted(set(diagnostics), key=Diagnostic.sort_key)
    kept: list[Diagnostic] = []
    per_file: dict[str, int] = {}
    hidden = {"error": 0, "warning": 0, "notice": 0}
    for diagnostic in ordered:
        per_file[diagnostic.file] = per_file.get(diagnostic.file, 0) + 1
        if per_file[diagnostic.file] <= MAX_PER_FILE:
            kept.append(diagnostic)
        else:
            hidden[diagnostic.severity] += 1
    for file, count in per_file.items():
        if count > MAX_PER_FILE:
            message = (
                f"{count - MAX_PER_FILE:,} more problems in this file after the first "
                f"{MAX_PER_FILE} are not shown"
            )
            kept.append(Diagnostic("notice", file, 0, 0, "", message))
    shown = tuple(sorted(kept, key=Diagnostic.sort_key))
    return Sorted(shown, hidden["error"], hidden["warning"])


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
