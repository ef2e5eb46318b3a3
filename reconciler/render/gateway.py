"""Renderings of the gateway mapping: the fragment (YAML, JSON) and the drift report.

The YAML fragment is written by hand, in the layout of Keeptrusts' wallet-management guide
(two-space indent, ``- id:`` items), so it can be pasted into a gateway config as is; values
go through ``config.writer.yaml_scalar``.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.config.writer import yaml_scalar
from reconciler.gateway import CHANGED, ONLY_IN_BUDGETS, Difference
from reconciler.text import printable

DIFF_FORMAT_VERSION = 1


def fragment_yaml(fragment: dict[str, Any]) -> str:
    lines: list[str] = []
    groups = fragment["consumer_groups"]
    if not groups:
        lines.append("consumer_groups: []")
    else:
        lines.append("consumer_groups:")
        for group in groups:
            lines.append(f"  - id: {yaml_scalar(group['id'])}")
            lines.append(f"    wallet_team_id: {yaml_scalar(group['wallet_team_id'])}")
    enforcement = fragment["cost_tracking"]["wallet_enforcement"]
    lines += ["cost_tracking:", f"  wallet_enforcement: {'true' if enforcement else 'false'}"]
    return "\n".join(lines) + "\n"


def fragment_json(fragment: dict[str, Any]) -> str:
    return json.dumps(fragment, indent=2, ensure_ascii=False) + "\n"


def diff_text(where: str, differences: tuple[Difference, ...], groups: int, enforce: bool) -> str:
    if not differences:
        switch = "true" if enforce else "false"
        noun = "consumer group" if groups == 1 else "consumer groups"
        return (
            f"gateway {where} matches the budgets ({groups} {noun}, wallet_enforcement {switch})\n"
        )
    noun = "key" if len(differences) == 1 else "keys"
    lines = [f"gateway {where} differs from the budgets in {len(differences)} {noun}:"]
    lines += [f"  {_line(d)}" for d in differences]
    lines.append("Deploy `reconciler gateway render` output to the gateway, or change the budgets.")
    return "\n".join(lines) + "\n"


def diff_json(where: str, differences: tuple[Difference, ...]) -> str:
    document = {
        "format_version": DIFF_FORMAT_VERSION,
        "gateway": where,
        "in_sync": not differences,
        "differences": [
            {"key": d.key, "kind": d.kind, "budgets": d.budgets, "gateway": d.gateway}
            for d in differences
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _line(difference: Difference) -> str:
    key = printable(difference.key)
    if difference.kind == CHANGED:
        return f"{key}: budgets {_shown(difference.budgets)}, gateway {_shown(difference.gateway)}"
    if difference.kind == ONLY_IN_BUDGETS:
        return f"{key}: only in the budgets (wallet_team_id {_shown(difference.budgets)})"
    return f"{key}: only in the gateway (wallet_team_id {_shown(difference.gateway)})"


def _shown(value: str | bool | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "none" if value is None else printable(value)
