"""Renderings of a validation ``Report``: the summary line, JSON, GitHub annotations.

The JSON document is versioned (``format_version``) and carries amounts as decimal strings.
GitHub annotations follow the workflow-command escaping rules: ``%``, ``\\r`` and ``\\n`` in the
message; additionally ``:`` and ``,`` in the properties (file). Annotations show file names,
key paths and messages through ``text.printable`` like the text output; JSON keeps every
character exactly except undecodable file-name bytes (``bad\\udcff.yaml``), so it is valid UTF-8.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.config.diagnostics import Diagnostic, Report, plural
from reconciler.model import DesiredState
from reconciler.money import CURRENCY, decimal_str, format_usd
from reconciler.periods import PeriodKind
from reconciler.text import encodable, printable

JSON_FORMAT_VERSION = 1
_PER = {
    PeriodKind.MONTHLY: "per month",
    PeriodKind.QUARTERLY: "per quarter",
    PeriodKind.WEEKLY: "per week",
    PeriodKind.NONE: "per period",
}


def envelopes_total(state: DesiredState) -> int:
    """Σ envelopes of the managed (not removed) teams, in micros."""
    return sum(team.envelope for team in state.teams if not team.removed)


def summary_line(state: DesiredState) -> str:
    """``6 teams, 6 consumer groups, Σ envelopes 41,000.00 USD per month, headroom 5,000.00``."""
    managed = [team for team in state.teams if not team.removed]
    removed = len(state.teams) - len(managed)
    teams = plural(len(managed), "team") + (f" (+{removed} removed)" if removed else "")
    groups = len(state.gateway.consumer_groups) if state.gateway else 0
    org = state.organization
    return (
        f"{teams}, {plural(groups, 'consumer group')}, "
        f"Σ envelopes {format_usd(envelopes_total(state))} {CURRENCY} {_PER[org.period]}, "
        f"headroom {format_usd(org.headroom)}"
    )


def summary_dict(state: DesiredState) -> dict[str, Any]:
    org = state.organization
    return {
        "org_id": org.id,
        "period": org.period.value,
        "teams": sum(1 for team in state.teams if not team.removed),
        "removed_teams": sum(1 for team in state.teams if team.removed),
        "consumer_groups": len(state.gateway.consumer_groups) if state.gateway else 0,
        "envelopes_total": decimal_str(envelopes_total(state)),
        "headroom": decimal_str(org.headroom),
        "currency": CURRENCY,
    }


def diagnostic_dict(diagnostic: Diagnostic) -> dict[str, Any]:
    return {
        "severity": diagnostic.severity,
        "file": encodable(diagnostic.file),
        "line": diagnostic.line,
        "col": diagnostic.col,
        "key_path": encodable(diagnostic.key_path),
        "message": encodable(diagnostic.message),
    }


def json_document(report: Report) -> str:
    document = {
        "format_version": JSON_FORMAT_VERSION,
        "valid": report.ok,
        "summary": summary_dict(report.state) if report.state is not None else None,
        "counts": {"errors": report.error_count, "warnings": report.warning_count},
        "diagnostics": [diagnostic_dict(d) for d in report.diagnostics],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(diagnostic: Diagnostic) -> str:
    """``::error file=…,line=…,col=…::key.path: message`` (line/col left out when 0)."""
    props = [f"file={_escape_property(printable(diagnostic.file))}"]
    if diagnostic.line > 0:
        props += [f"line={diagnostic.line}", f"col={diagnostic.col}"]
    key = f"{diagnostic.key_path}: " if diagnostic.key_path else ""
    message = _escape_data(printable(key + diagnostic.message))
    return f"::{diagnostic.severity} {','.join(props)}::{message}"
