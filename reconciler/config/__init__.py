"""Load and validate the budgets directory (DESIGN §3) into a ``DesiredState``.

    report = validate_dir(Path("budgets"))     # never raises for bad input
    state, warnings = load(Path("budgets"))    # raises ConfigError carrying every diagnostic
    state, warnings = load_files(Path("budgets"), [("teams/eng.yaml", b"...")])  # in memory

The pipeline, one module per step: ``files`` (find, size, encoding, symlinks) → ``yamlload``
(located trees, exact numbers, duplicate keys, alias budget) → ``checks`` (kind, ``schema``,
``amounts``, then across documents, with the team ids ``salvage`` reads from broken ones) →
``build`` (the frozen model). Raw YAML never leaves this
package.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from reconciler.config.build import build_state
from reconciler.config.checks import Classified, check_across, check_document
from reconciler.config.diagnostics import (
    Diagnostic,
    Report,
    display_path,
    plural,
    sort_diagnostics,
)
from reconciler.config.files import SourceFile, Sources, read_sources
from reconciler.config.gcpause import gc_paused
from reconciler.config.salvage import document_team_id, text_team_ids
from reconciler.config.yamlload import compose
from reconciler.errors import ConfigError
from reconciler.model import DesiredState

__all__ = [
    "ConfigError",
    "Diagnostic",
    "ParseMemo",
    "Report",
    "load",
    "load_files",
    "validate_dir",
    "validate_files",
]


class ParseMemo:
    """What one run learned from each file, by name and text: its YAML problems and documents,
    each checked on its own. A file met again (the same file at another commit, unchanged) is
    not composed or checked again; only the checks across files run per directory."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], _Parsed] = {}

    def parsed(self, source: SourceFile) -> _Parsed:
        key = (source.file, source.text)
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = _parse(source)
        return found

    def __len__(self) -> int:
        return len(self._seen)


@dataclass(frozen=True, slots=True)
class _Parsed:
    problems: tuple[Diagnostic, ...]
    broken_ids: frozenset[str]  # team ids that documents which did not check still declare
    classified: tuple[Classified, ...]
    documents: int


def _parse(source: SourceFile) -> _Parsed:
    documents, yaml_problems = compose(source.text, source.file)
    problems = list(yaml_problems)
    broken_ids: set[str] = set()
    if yaml_problems and any(problem.severity == "error" for problem in yaml_problems):
        broken_ids |= text_team_ids(source.text)
    classified: list[Classified] = []
    for document in documents:
        item, found = check_document(document)
        problems.extend(found)
        if item is not None:
            classified.append(item)
        elif (team_id := document_team_id(document)) is not None:
            broken_ids.add(team_id)
    return _Parsed(tuple(problems), frozenset(broken_ids), tuple(classified), len(documents))


def validate_dir(budgets_dir: Path, *, memo: ParseMemo | None = None) -> Report:
    """Every problem of the budgets directory at once, sorted by file and line; never raises
    for bad input. ``state`` is set when there is no error (warnings allowed)."""
    return _read_and_validate(Path(budgets_dir), memo)


@gc_paused
def _read_and_validate(budgets_dir: Path, memo: ParseMemo | None) -> Report:
    """``validate_dir`` with the collector paused from the first file read to the model."""
    return _validate(budgets_dir, read_sources(budgets_dir), budgets_dir.is_dir(), memo)


def validate_files(
    budgets_dir: Path, files: Iterable[tuple[str, bytes]], *, memo: ParseMemo | None = None
) -> Report:
    """``validate_dir`` of a directory at ``budgets_dir`` holding exactly ``files`` (path under
    it, content), without writing them anywhere: the same report, naming the same paths."""
    return _decode_and_validate(Path(budgets_dir), files, memo)


@gc_paused
def _decode_and_validate(
    budgets_dir: Path, files: Iterable[tuple[str, bytes]], memo: ParseMemo | None
) -> Report:
    """``validate_files`` with the collector paused from the first file decoded to the model."""
    from reconciler.config import blobs  # only budgets read from git need it

    return _validate(budgets_dir, blobs.sources(budgets_dir, files), True, memo)


def _validate(budgets_dir: Path, sources: Sources, exists: bool, memo: ParseMemo | None) -> Report:
    diagnostics: list[Diagnostic] = list(sources.problems)
    classified: list[Classified] = []
    # Team ids declared by documents that could not be read or classified (see ``salvage``).
    broken_ids: set[str] = set()
    for lossy in sources.lossy:
        broken_ids |= text_team_ids(lossy.text)
    document_count = 0
    for source in sources.readable:
        parsed = memo.parsed(source) if memo is not None else _parse(source)
        diagnostics.extend(parsed.problems)
        broken_ids |= parsed.broken_ids
        classified.extend(parsed.classified)
        document_count += parsed.documents
    diagnostics.extend(check_across(classified, frozenset(broken_ids)))
    where = display_path(budgets_dir)
    if exists and document_count == 0:
        message = "no YAML documents found; add organization.yaml (kind: Organization)"
        diagnostics.append(Diagnostic("error", where, 0, 0, "", message))
    elif document_count and not any(item.kind == "Organization" for item in classified):
        message = "no Organization document; add one with kind: Organization"
        diagnostics.append(Diagnostic("error", where, 0, 0, "organization", message))
    elif document_count and not any(item.kind == "GatewayConfig" for item in classified):
        message = (
            "no GatewayConfig document, so no consumer group maps to any team wallet; "
            "add one with kind: GatewayConfig"
        )
        diagnostics.append(Diagnostic("warning", where, 0, 0, "gateway", message))
    ordered = sort_diagnostics(diagnostics)
    hidden = (ordered.hidden_errors, ordered.hidden_warnings)
    if any(d.severity == "error" for d in ordered.shown):
        return Report(None, ordered.shown, *hidden)
    root = Path(os.path.abspath(budgets_dir))
    return Report(build_state(root, classified), ordered.shown, *hidden)


def load(
    budgets_dir: Path, *, memo: ParseMemo | None = None
) -> tuple[DesiredState, tuple[Diagnostic, ...]]:
    """The desired state and its warnings (not the ``validate_only`` ones); ``ConfigError``
    (every diagnostic) on any error."""
    report = validate_dir(budgets_dir, memo=memo)
    return _loaded(report, Path(budgets_dir), Path(budgets_dir).is_dir())


def load_files(
    budgets_dir: Path, files: Iterable[tuple[str, bytes]], *, memo: ParseMemo | None = None
) -> tuple[DesiredState, tuple[Diagnostic, ...]]:
    """``load`` of a directory at ``budgets_dir`` holding exactly ``files`` (``validate_files``),
    e.g. the budgets at an earlier commit read from git: the same state, warnings and errors."""
    return _loaded(validate_files(budgets_dir, files, memo=memo), Path(budgets_dir), True)


def _loaded(
    report: Report, budgets_dir: Path, exists: bool
) -> tuple[DesiredState, tuple[Diagnostic, ...]]:
    if report.state is None:
        errors = report.errors
        if errors and not exists:  # one plain line: there is nothing to list
            raise ConfigError(str(errors[0]), report.diagnostics)
        first = f": {errors[0]}" if errors else ""
        count = report.error_count
        more = f" (and {plural(count - 1, 'more error')})" if count > 1 else ""
        summary = f"{display_path(budgets_dir)} is invalid{first}{more}"
        raise ConfigError(
            f"{summary}; run 'reconciler validate' for the full list", report.diagnostics
        )
    return report.state, tuple(w for w in report.warnings if not w.validate_only)
