"""Write budgets directories for tests: documents as dicts, amounts as exact ``Decimal``.

    root = write_budgets(tmp_path / "budgets", teams=[team_doc("team_a", "100.00")])
    state, _ = reconciler.config.load(root)

``write_budgets`` writes ``organization.yaml``, one ``teams/<id>.yaml`` per team and, unless
``gateway=None``, a ``gateway.yaml`` mapping one consumer group per team (so no warnings).
``state_documents`` turns a loaded ``DesiredState`` back into documents (for round trips).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from reconciler.model import DesiredState, Team
from reconciler.money import from_micros

API_VERSION = "reconciler/v1"


class _Dumper(yaml.SafeDumper):
    pass


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = format(value, "f")
    tag = "tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int"
    return dumper.represent_scalar(tag, text)


_Dumper.add_representer(Decimal, _represent_decimal)


def amount(value: str | int | Decimal) -> Decimal:
    return Decimal(str(value))


def organization_doc(
    org_id: str = "org_test",
    *,
    period: str = "monthly",
    headroom: str | Decimal = "0.00",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "Organization",
        "id": org_id,
        "period": period,
        "headroom": amount(headroom),
        **extra,
    }


def team_doc(
    team_id: str, envelope: str | Decimal | None = "100.00", **extra: Any
) -> dict[str, Any]:
    doc: dict[str, Any] = {"apiVersion": API_VERSION, "kind": "Team", "id": team_id}
    if envelope is not None:
        doc["envelope"] = amount(envelope)
    doc.update(extra)
    return doc


def gateway_doc(mapping: dict[str, str], *, wallet_enforcement: bool = True) -> dict[str, Any]:
    """``mapping``: consumer group id -> team id."""
    return {
        "apiVersion": API_VERSION,
        "kind": "GatewayConfig",
        "consumer_groups": [
            {"id": group, "wallet_team_id": team} for group, team in mapping.items()
        ],
        "cost_tracking": {"wallet_enforcement": wallet_enforcement},
    }


def dump_documents(*documents: dict[str, Any]) -> str:
    """YAML text of ``documents``, separated by ``---``, keys in the given order."""
    return yaml.dump_all(documents, Dumper=_Dumper, sort_keys=False, explicit_start=True)


def write_budgets(
    root: Path,
    *,
    organization: dict[str, Any] | None = None,
    teams: Iterable[dict[str, Any]] = (),
    gateway: dict[str, Any] | str | None = "auto",
) -> Path:
    """A budgets directory at ``root``; ``gateway="auto"`` maps a group ``<id>`` to each team."""
    teams = list(teams)
    (root / "teams").mkdir(parents=True, exist_ok=True)
    org = organization if organization is not None else organization_doc()
    (root / "organization.yaml").write_text(dump_documents(org), encoding="utf-8")
    for team in teams:
        path = root / "teams" / f"{team['id']}.yaml"
        path.write_text(dump_documents(team), encoding="utf-8")
    if gateway == "auto":
        gateway = gateway_doc({str(team["id"]): str(team["id"]) for team in teams})
    if isinstance(gateway, dict):
        (root / "gateway.yaml").write_text(dump_documents(gateway), encoding="utf-8")
    return root


def _team_document(team: Team) -> dict[str, Any]:
    doc = team_doc(team.id, from_micros(team.envelope).quantize(Decimal("0.01")))
    doc.update(
        name=team.name,
        owners=list(team.owners),
        mode=team.mode.value,
        rollover=team.rollover,
        drift=team.drift.value,
        protect=team.protect,
        removed=team.removed,
    )
    for key, micros in (("envelope_min", team.envelope_min), ("envelope_max", team.envelope_max)):
        if micros is not None:
            doc[key] = from_micros(micros).quantize(Decimal("0.01"))
    return doc


def state_documents(state: DesiredState) -> list[dict[str, Any]]:
    """Documents that load back to ``state`` (locations aside)."""
    org = state.organization
    guards = {
        key: from_micros(micros).quantize(Decimal("0.01"))
        for key, micros in (
            ("max_movement_per_apply", org.guards.max_movement_per_apply),
            ("max_reclaim_per_apply", org.guards.max_reclaim_per_apply),
        )
        if micros is not None
    }
    org_doc = organization_doc(
        org.id,
        period=org.period.value,
        headroom=from_micros(org.headroom).quantize(Decimal("0.01")),
        defaults={"mode": org.mode.value, "rollover": org.rollover, "drift": org.drift.value},
        guards=guards,
    )
    if org.ledger is not None:
        org_doc["ledger"] = org.ledger
    documents = [org_doc, *(_team_document(team) for team in state.teams)]
    if state.gateway is not None:
        documents.append(
            gateway_doc(
                {group.id: group.wallet_team_id for group in state.gateway.consumer_groups},
                wallet_enforcement=state.gateway.wallet_enforcement,
            )
        )
    return documents
