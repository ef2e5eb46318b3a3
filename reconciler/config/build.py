"""Build the frozen model (``reconciler.model``) from documents that passed every check.

Amounts become integer micro-USD; a Team's mode, rollover and drift fall back to the
Organization's ``defaults``; a removed Team without an envelope gets 0; teams are sorted by id.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from reconciler.config.checks import Classified
from reconciler.config.nodes import Document, Mapping, Node, Scalar, ScalarValue, Sequence
from reconciler.model import (
    ConsumerGroup,
    DesiredState,
    DriftPolicy,
    GatewayConfig,
    Guards,
    Location,
    Mode,
    Organization,
    Team,
)
from reconciler.money import to_micros
from reconciler.periods import PeriodKind


def _scalar(mapping: Node | None, key: str) -> Scalar | None:
    node = mapping.get(key) if isinstance(mapping, Mapping) else None
    return node if isinstance(node, Scalar) else None


def _str(mapping: Node | None, key: str, default: str) -> str:
    node = _scalar(mapping, key)
    return node.value if node is not None and isinstance(node.value, str) else default


def _bool(mapping: Node | None, key: str, default: bool) -> bool:
    node = _scalar(mapping, key)
    return node.value if node is not None and isinstance(node.value, bool) else default


def _micros(mapping: Node | None, key: str) -> int | None:
    node = _scalar(mapping, key)
    if node is None or not isinstance(node.value, Decimal):
        return None
    return to_micros(node.value)


def _location(doc: Document, node: Node) -> Location:
    return Location(doc.file, node.mark.line, node.mark.col)


def build_organization(item: Classified) -> Organization:
    root = item.root
    defaults = root.get("defaults")
    guards = root.get("guards")
    ledger = _scalar(root, "ledger")
    return Organization(
        id=_str(root, "id", ""),
        period=PeriodKind(_str(root, "period", PeriodKind.MONTHLY.value)),
        headroom=_micros(root, "headroom") or 0,
        mode=Mode(_str(defaults, "mode", Mode.PERIOD.value)),
        rollover=_bool(defaults, "rollover", False),
        drift=DriftPolicy(_str(defaults, "drift", DriftPolicy.WARN.value)),
        guards=Guards(
            max_movement_per_apply=_micros(guards, "max_movement_per_apply"),
            max_reclaim_per_apply=_micros(guards, "max_reclaim_per_apply"),
        ),
        ledger=ledger.value if ledger is not None and isinstance(ledger.value, str) else None,
        location=_location(item.doc, root),
    )


_MODES = {mode.value: mode for mode in Mode}
_DRIFTS = {drift.value: drift for drift in DriftPolicy}


def _values(root: Mapping) -> dict[str, ScalarValue]:
    """The value of each key of ``root`` whose value is a scalar, in one pass (a Team is read
    10,000 times in a large organization: one dictionary instead of a lookup per field)."""
    return {
        key: entry.value.value
        for key, entry in root.by_key().items()
        if isinstance(entry.value, Scalar)
    }


def _text(values: dict[str, ScalarValue], key: str, default: str) -> str:
    value = values.get(key)
    return value if isinstance(value, str) else default


def _flag(values: dict[str, ScalarValue], key: str, default: bool) -> bool:
    value = values.get(key)
    return value if isinstance(value, bool) else default


def _amount(values: dict[str, ScalarValue], key: str) -> int | None:
    value = values.get(key)
    return to_micros(value) if isinstance(value, Decimal) else None


def build_team(item: Classified, org: Organization) -> Team:
    root = item.root
    values = _values(root)
    team_id = _text(values, "id", "")
    owners = root.get("owners")
    mode, drift = values.get("mode"), values.get("drift")
    return Team(
        id=team_id,
        name=_text(values, "name", team_id),
        envelope=_amount(values, "envelope") or 0,
        mode=_MODES[mode] if isinstance(mode, str) else org.mode,
        rollover=_flag(values, "rollover", org.rollover),
        drift=_DRIFTS[drift] if isinstance(drift, str) else org.drift,
        owners=tuple(
            str(node.value)
            for node in (owners.items if isinstance(owners, Sequence) else ())
            if isinstance(node, Scalar)
        ),
        protect=_flag(values, "protect", False),
        removed=_flag(values, "removed", False),
        envelope_min=_amount(values, "envelope_min"),
        envelope_max=_amount(values, "envelope_max"),
        location=_location(item.doc, root),
    )


def build_gateway(item: Classified) -> GatewayConfig:
    root = item.root
    groups = root.get("consumer_groups")
    return GatewayConfig(
        consumer_groups=tuple(
            ConsumerGroup(
                id=_str(group, "id", ""),
                wallet_team_id=_str(group, "wallet_team_id", ""),
                location=_location(item.doc, group),
            )
            for group in (groups.items if isinstance(groups, Sequence) else ())
        ),
        wallet_enforcement=_bool(root.get("cost_tracking"), "wallet_enforcement", False),
        location=_location(item.doc, root),
    )


def build_state(root: Path, docs: list[Classified]) -> DesiredState:
    """The desired state of documents that are all valid (exactly one Organization)."""
    (org_doc,) = [item for item in docs if item.kind == "Organization"]
    org = build_organization(org_doc)
    teams = sorted(
        (build_team(item, org) for item in docs if item.kind == "Team"), key=lambda t: t.id
    )
    gateways = [build_gateway(item) for item in docs if item.kind == "GatewayConfig"]
    return DesiredState(
        root=root,
        organization=org,
        teams=tuple(teams),
        gateway=gateways[0] if gateways else None,
    )
