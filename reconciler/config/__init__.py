"""Load and validate the budgets directory (DESIGN §3) into a ``DesiredState``.

    report = validate_dir(Path("budgets"))     # never raises for bad input
    state, warnings = load(Path("budgets"))    # raises ConfigError carrying every diagnostic

The pipeline, one module per step: ``files`` (find, size, encoding, symlinks) → ``yamlload``
(located trees, exact numbers, duplicate keys, alias budget) → ``checks`` (kind, ``schema``,
``amounts``, then across documents, with the team ids ``salvage`` reads from broken ones) →
``build`` (the frozen model). Raw YAML never leaves this
package.
"""

from __future__ import annotations

import os
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
from reconciler.config.files import read_sources
from reconciler.config.gcpause import gc_paused
from reconciler.config.salvage import document_team_id, text_team_ids
from reconciler.config.yamlload import compose
from reconciler.errors import ConfigError
from reconciler.model import DesiredState

__all__ = ["ConfigError", "Diagnostic", "Report", "load", "validate_dir"]


@gc_paused
def validate_dir(budgets_dir: Path) -> Report:
    """Every problem of the budgets directory at once, sorted by file and line; never raises
    for bad input. ``state`` is set when there is no error (warnings allowed)."""
    budgets_dir = Path(budgets_dir)
    sources = read_sources(budgets_dir)
    diagnostics: list[Diagnostic] = list(sources.problems)
    classified: list[Classified] = []
    # Team ids declared by documents that could not be read or classified (see ``salvage``).
    broken_ids: set[str] = set()
    for lossy in sources.lossy:
        broken_ids |= text_team_ids(lossy.text)
    document_count = 0
    for source in sources.readable:
        documents, yaml_problems = compose(source.text, source.file)
        diagnostics.extend(yaml_problems)
        if any(problem.severity == "error" for problem in yaml_problems):
            broken_ids |= text_team_ids(source.text)
        document_count += len(documents)
        for document in documents:
            item, problems = check_document(document)
            diagnostics.extend(problems)
            if item is not None:
                classified.append(item)
            elif (team_id := document_team_id(document)) is not None:
                broken_ids.add(team_id)
    diagnostics.extend(check_across(classified, frozenset(broken_ids)))
    where = display_path(budgets_dir)
    if budgets_dir.is_dir() and document_count == 0:
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


def load(budgets_dir: Path) -> tuple[DesiredState, tuple[Diagnostic, ...]]:
    """The desired state and its warnings (not the ``validate_only`` ones); ``ConfigError``
    (every diagnostic) on any error."""
    report = validate_dir(budgets_dir)
    if report.state is None:
        errors = report.errors
        if errors and not Path(budgets_dir).is_dir():  # one plain line: there is nothing to list
            raise ConfigError(str(errors[0]), report.diagnostics)
        first = f": {errors[0]}" if errors else ""
        count = report.error_count
        more = f" (and {plural(count - 1, 'more error')})" if count > 1 else ""
        summary = f"{display_path(Path(budgets_dir))} is invalid{first}{more}"
        raise ConfigError(
            f"{summary}; run 'reconciler validate' for the full list", report.diagnostics
        )
    return report.state, tuple(w for w in report.warnings if not w.validate_only)
