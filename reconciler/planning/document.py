"""The plan document (DESIGN §7): ``Plan`` <-> versioned JSON, checked by ``plan.schema.json``.

``dumps`` writes keys in a fixed order, amounts as decimal strings and times as ISO-8601 UTC with
a ``Z``, so the same plan always gives the same bytes. ``loads`` validates against the schema and
rebuilds the exact ``Plan``; a malformed or old-format file is a ConfigError naming the file and
the key.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from reconciler import money
from reconciler.clock import iso_utc, parse_utc
from reconciler.errors import ConfigError
from reconciler.exactjson import JSONSyntaxError, clip, parse_int
from reconciler.periods import Period, PeriodKind, period_from_id
from reconciler.planning.types import (
    PLAN_FORMAT_VERSION,
    Action,
    Change,
    Deficit,
    DriftItem,
    Exhaustion,
    OrgSummary,
    Plan,
    RoutingChange,
    TeamFingerprint,
    UnmanagedWallet,
)

if TYPE_CHECKING:  # imported when a plan file is read: making and writing a plan never needs it
    import jsonschema  # type: ignore[import-untyped, unused-ignore]

Document = dict[str, Any]


def to_document(plan: Plan) -> Document:
    """The plan as a JSON-ready dict, keys in document order."""
    amount = money.decimal_str
    return {
        "format_version": plan.format_version,
        "plan_id": plan.plan_id,
        "created_at": iso_utc(plan.created_at),
        "commit": plan.commit,
        "dirty": plan.dirty,
        "org_id": plan.org_id,
        "ledger": plan.ledger,
        "override_reason": plan.override_reason,
        "period": _period_document(plan.period),
        "summary": _summary_document(plan),
        "org": _org_document(plan.org),
        "changes": [_change_document(c) for c in plan.changes],
        "deficits": [
            {"team_id": d.team_id, "amount": amount(d.amount), "reason": d.reason}
            for d in plan.deficits
        ],
        "drift": [_drift_document(d) for d in plan.drift],
        "unmanaged": [_unmanaged_document(u) for u in plan.unmanaged],
        "routing": [
            {"consumer_group": r.consumer_group, "before": r.before, "after": r.after}
            for r in plan.routing
        ],
        "fingerprints": [
            {"team_id": f.team_id, "flows_digest": f.flows_digest, "flow_count": f.flow_count}
            for f in plan.fingerprints
        ],
        "warnings": list(plan.warnings),
        # Only when there is a forecast to show, so plans without spend keep their form.
        **(
            {"exhaustion": [_exhaustion_document(e) for e in plan.exhaustion]}
            if plan.exhaustion
            else {}
        ),
    }


def _period_document(period: Period) -> Document:
    return {
        "kind": period.kind.value,
        "id": period.id,
        "start": iso_utc(period.start),
        "end": iso_utc(period.end),
    }


def _summary_document(plan: Plan) -> Document:
    return {
        "has_changes": plan.has_changes,
        "change_count": len(plan.changes),
        "allocate_total": money.decimal_str(plan.allocate_total),
        "reclaim_total": money.decimal_str(plan.reclaim_total),
    }


def _org_document(org: OrgSummary) -> Document:
    return {
        "available_before": money.decimal_str(org.available_before),
        "available_after": money.decimal_str(org.available_after),
        "headroom": money.decimal_str(org.headroom),
    }


def _change_document(change: Change) -> Document:
    amount = money.decimal_str
    return {
        "op_key": change.op_key,
        "team_id": change.team_id,
        "action": change.action.value,
        "amount": amount(change.amount),
        "envelope": amount(change.envelope),
        "allocated": amount(change.allocated),
        "reason": change.reason,
        "drift_kept": amount(change.drift_kept),
    }


def _drift_document(item: DriftItem) -> Document:
    return {
        "team_id": item.team_id,
        "transaction_id": item.transaction_id,
        "created_at": iso_utc(item.created_at),
        "amount": money.decimal_str(item.amount),
        "actor": item.actor,
        "note": item.note,
        "policy": item.policy,
        **({"status": item.status} if item.status else {}),
    }


def _unmanaged_document(wallet: UnmanagedWallet) -> Document:
    return {
        "team_id": wallet.team_id,
        "wallet_id": wallet.wallet_id,
        "balance": money.decimal_str(wallet.balance),
        "available": money.decimal_str(wallet.available),
    }


def _exhaustion_document(exhaustion: Exhaustion) -> Document:
    return {
        "team_id": exhaustion.team_id,
        "runs_out": exhaustion.runs_out.isoformat(),
        "days_early": exhaustion.days_early,
        "projected_spend": money.decimal_str(exhaustion.projected_spend),
        "envelope": money.decimal_str(exhaustion.envelope),
    }


def content_id(plan: Plan) -> str:
    """The plan id: first 12 hex of sha256 over the whole document except the id itself, so a
    saved plan whose any field was edited no longer matches its own id (DESIGN §8)."""
    document = to_document(plan)
    del document["plan_id"]
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def dumps(plan: Plan) -> str:
    """The plan document as text: 2-space indented JSON, UTF-8, ending with a newline."""
    return json.dumps(to_document(plan), indent=2, ensure_ascii=False) + "\n"


def loads(text: str, *, source: str) -> Plan:
    """Read a plan document; ``source`` (the file name) is used in error messages."""
    try:
        document = json.loads(text, parse_float=Decimal, parse_int=parse_int)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{source}: not a JSON plan document (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}): write one with `reconciler plan --out FILE`"
        ) from exc
    except (JSONSyntaxError, ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else clip(str(exc), 120)
        raise ConfigError(
            f"{source}: not a JSON plan document ({reason}): write one with "
            "`reconciler plan --out FILE`"
        ) from exc
    if not isinstance(document, dict):
        raise ConfigError(f"{source}: not a plan document (expected a JSON object)")
    version = document.get("format_version")
    if type(version) is not int or version != PLAN_FORMAT_VERSION:
        raise ConfigError(
            f"{source}: format_version: {version!r} is not supported (this reconciler reads "
            f"format_version {PLAN_FORMAT_VERSION}): re-create the plan with `reconciler plan`"
        )
    import jsonschema  # type: ignore[import-untyped, unused-ignore]

    error = jsonschema.exceptions.best_match(_validator().iter_errors(document))
    if error is not None:
        where = _key_path(error.absolute_path) or "(document)"
        raise ConfigError(f"{source}: {where}: {error.message}") from error
    plan = _from_document(document, source)
    if to_document(plan)["summary"] != document["summary"]:
        raise ConfigError(f"{source}: summary: the totals do not match the changes (edited?)")
    return plan


@cache
def schema() -> Document:
    """The plan document's JSON Schema (shipped in the package as ``schemas/plan.schema.json``)."""
    text = resources.files("reconciler").joinpath("schemas/plan.schema.json").read_text("utf-8")
    loaded: Document = json.loads(text)
    return loaded


@cache
def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema  # type: ignore[import-untyped, unused-ignore]

    return jsonschema.Draft202012Validator(schema())


def _key_path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _m(text: str) -> int:
    return money.to_micros(Decimal(text))


def _period(raw: Document, source: str) -> Period:
    kind = PeriodKind(raw["kind"])
    try:
        period = period_from_id(kind, raw["id"])
    except ValueError as exc:
        raise ConfigError(f"{source}: period.id: {exc}") from exc
    if (iso_utc(period.start), iso_utc(period.end)) != (raw["start"], raw["end"]):
        raise ConfigError(
            f"{source}: period: start/end {raw['start']}..{raw['end']} do not match period "
            f"{period.id} ({iso_utc(period.start)}..{iso_utc(period.end)})"
        )
    return period


def _from_document(doc: Document, source: str) -> Plan:
    org = doc["org"]
    return Plan(
        plan_id=doc["plan_id"],
        created_at=parse_utc(doc["created_at"]),
        commit=doc["commit"],
        dirty=doc["dirty"],
        org_id=doc["org_id"],
        period=_period(doc["period"], source),
        org=OrgSummary(
            available_before=_m(org["available_before"]),
            available_after=_m(org["available_after"]),
            headroom=_m(org["headroom"]),
        ),
        changes=tuple(
            Change(
                op_key=c["op_key"],
                team_id=c["team_id"],
                action=Action(c["action"]),
                amount=_m(c["amount"]),
                envelope=_m(c["envelope"]),
                allocated=_m(c["allocated"]),
                reason=c["reason"],
                drift_kept=_m(c.get("drift_kept", "0.00")),
            )
            for c in doc["changes"]
        ),
        deficits=tuple(
            Deficit(d["team_id"], _m(d["amount"]), d["reason"]) for d in doc["deficits"]
        ),
        drift=tuple(
            DriftItem(
                team_id=d["team_id"],
                transaction_id=d["transaction_id"],
                created_at=parse_utc(d["created_at"]),
                amount=_m(d["amount"]),
                actor=d["actor"],
                note=d["note"],
                policy=d["policy"],
                status=d.get("status", ""),
            )
            for d in doc["drift"]
        ),
        unmanaged=tuple(
            UnmanagedWallet(u["team_id"], u["wallet_id"], _m(u["balance"]), _m(u["available"]))
            for u in doc["unmanaged"]
        ),
        routing=tuple(
            RoutingChange(r["consumer_group"], r["before"], r["after"]) for r in doc["routing"]
        ),
        fingerprints=tuple(
            TeamFingerprint(f["team_id"], f["flows_digest"], f["flow_count"])
            for f in doc["fingerprints"]
        ),
        override_reason=doc["override_reason"],
        ledger=doc["ledger"],
        warnings=tuple(doc["warnings"]),
        format_version=doc["format_version"],
        exhaustion=tuple(
            Exhaustion(
                e["team_id"],
                date.fromisoformat(e["runs_out"]),
                e["days_early"],
                _m(e["projected_spend"]),
                _m(e["envelope"]),
            )
            for e in doc.get("exhaustion", [])
        ),
    )
