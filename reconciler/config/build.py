"""Build the frozen model (``reconciler.model``) from documents that passed every check.

Amounts become integer micro-USD; a Team's mode, rollover and drift fall back to the
Organization's ``defaults``; a removed Team without an envelope gets 0; teams are sorted by id.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from reconciler.config.checks import Classified
from reconciler.config.nodes import Document, Mapping, Node, Scalar, Sequence
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


def build_team(item: Classified, org: Organization) -> Team:
    root = item.root
    team_id = _str(root, "id", "")
    owners = root.get("owners")
    return Team(
        id=team_id,
        name=_str(root, "name", team_id),
        envelope=_micros(root, "envelope") or 0,
        mode=Mode(_str(root, "mode", org.mode.value)),
        rollover=_bool(root, "rollover", org.rollover),
        drift=DriftPolicy(_str(root, "drift", org.drift.value)),
        owners=tuple(
            str(node.value)
            for node in (owners.items if isinstance(owners, Sequence) else ())
            if isinstance(node, Scalar)
        ),
        protect=_bool(root, "protect", False),
        removed=_bool(root, "removed", False),
        envelope_min=_micros(root, "envelope_min"),
        envelope_max=_micros(root, "envelope_max"),
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
