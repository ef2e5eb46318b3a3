"""Renderings of an audit: ``table`` (terminal), ``json``, ``csv`` and ``markdown`` (a report).

Amounts are decimal strings in JSON and CSV (never a float). Ledger notes, actors and commit
subjects are untrusted text: tables show them through ``text.printable`` (control, bidi and
zero-width characters escaped) and markdown through ``terminal.markdown_escape`` (the same,
plus no HTML and no markup: the one markdown sanitiser, shared with the plan's comment); JSON
and CSV carry them exactly, as their formats quote them. Tables are ``terminal.table`` (the one
table renderer).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence

from reconciler import money, text
from reconciler.audit import FORMAT_VERSION, BlameEntry, Finding, Movement
from reconciler.clock import iso_utc, table_time
from reconciler.planning.types import DriftItem
from reconciler.render.terminal import markdown_escape
from reconciler.render.terminal import render_table as grid

FORMATS = ("table", "json", "csv", "markdown")
FIELDS = (
    "transaction_id",
    "created_at",
    "team_id",
    "action",
    "amount",
    "note",
    "actor",
    "class",
    "commit",
    "commit_found",
    "on_branch",
    "pr",
    "author",
    "subject",
    "plan_id",
    "op_key",
    "dirty",
    "override_reason",
)


def _shown(value: str | None) -> str:
    return text.printable(value)


def stamp(move: Movement) -> str:
    return iso_utc(move.created_at)  # documents (JSON, CSV); tables use clock.table_time


def movement_record(move: Movement) -> dict[str, object]:
    return {
        "transaction_id": move.transaction_id,
        "created_at": stamp(move),
        "team_id": move.team_id,
        "action": move.action,
        "amount": money.decimal_str(move.amount),
        "note": move.note,
        "actor": move.actor,
        "class": move.klass,
        "commit": move.commit,
        "commit_found": move.commit_found,
        "on_branch": move.on_branch,
        "pr": move.pr,
        "author": move.author,
        "subject": move.subject,
        "plan_id": move.plan_id,
        "op_key": move.op_key,
        "dirty": move.dirty,
        "override_reason": move.override_reason,
    }


def finding_record(finding: Finding) -> dict[str, object]:
    return {
        "kind": finding.kind,
        "transaction_id": finding.transaction_id,
        "team_id": finding.team_id,
        "message": finding.message,
    }


def render_json(moves: Sequence[Movement], findings: Sequence[Finding]) -> str:
    document = {
        "format_version": FORMAT_VERSION,
        "movements": [movement_record(m) for m in moves],
        "findings": [finding_record(f) for f in findings],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_csv(moves: Sequence[Movement], _findings: Sequence[Finding] = ()) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for move in moves:
        record = movement_record(move)
        writer.writerow(["" if record[f] is None else _csv_cell(record[f]) for f in FIELDS])
    return out.getvalue()


def _csv_cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _commit_cell(move: Movement) -> str:
    if move.commit is None:
        return "-"
    pr = f" #{move.pr}" if move.pr is not None else ""
    return f"{move.commit[:7]}{pr}"


def render_table(moves: Sequence[Movement], findings: Sequence[Finding]) -> str:
    head = ("TIME", "TEAM", "ACTION", "AMOUNT", "CLASS", "COMMIT", "ACTOR")
    rows = [
        (
            table_time(m.created_at),
            _shown(m.team_id),
            m.action,
            money.format_usd(m.amount),
            m.klass,
            _commit_cell(m),
            _shown(m.actor or "-"),
        )
        for m in moves
    ]
    lines = [grid(head, rows, right=("AMOUNT",)).rstrip("\n"), ""]
    lines.append(f"{len(moves)} movements, {len(findings)} findings")
    lines.extend(f"  {f.kind}: {_shown(f.team_id)}: {_shown(f.message)}" for f in findings)
    return "\n".join(lines) + "\n"


def _md(value: str | None) -> str:
    return markdown_escape(value) or "-"


def render_markdown(moves: Sequence[Movement], findings: Sequence[Finding]) -> str:
    totals: dict[tuple[str, str], int] = {}
    for move in moves:
        signed = move.amount if move.action == "allocate" else -move.amount
        key = (move.team_id, move.klass)
        totals[key] = totals.get(key, 0) + signed
    lines = ["## Audit", "", f"{len(moves)} movements, {len(findings)} findings.", ""]
    lines += ["| Team | Class | Net allocated |", "| --- | --- | ---: |"]
    for (team_id, klass), net in sorted(totals.items()):
        lines.append(f"| {_md(team_id)} | {klass} | {money.format_usd(net, sign=True)} |")
    lines += ["", "### Findings", ""]
    if not findings:
        lines.append("None.")
    else:
        lines += ["| Kind | Team | Transaction | Message |", "| --- | --- | --- | --- |"]
        for f in findings:
            lines.append(
                f"| {f.kind} | {_md(f.team_id)} | {_md(f.transaction_id or '-')} "
                f"| {_md(f.message)} |"
            )
    return "\n".join(lines) + "\n"


def render(moves: Sequence[Movement], findings: Sequence[Finding], fmt: str) -> str:
    renderers: dict[str, Callable[[Sequence[Movement], Sequence[Finding]], str]] = {
        "table": render_table,
        "json": render_json,
        "csv": render_csv,
        "markdown": render_markdown,
    }
    return renderers[fmt](moves, findings)


def _envelope(micros: int | None) -> str:
    return "none" if micros is None else money.format_usd(micros)


def _json_envelope(micros: int | None) -> str | None:
    return None if micros is None else money.decimal_str(micros)


def render_blame_json(team_id: str, entries: Sequence[BlameEntry]) -> str:
    document = {
        "format_version": FORMAT_VERSION,
        "team_id": team_id,
        "changes": [
            {
                "commit": e.change.commit,
                "date": iso_utc(e.change.date),
                "author": e.facts.author,
                "pr": e.facts.pr,
                "subject": e.facts.subject,
                "old_envelope": _json_envelope(e.change.old),
                "new_envelope": _json_envelope(e.change.new),
                "movements": [movement_record(m) for m in e.movements],
                "drift": [movement_record(m) for m in e.drift],
            }
            for e in entries
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _blame_line(move: Movement) -> str:
    sign = "+" if move.action == "allocate" else "-"
    return (
        f"{table_time(move.created_at)}  {move.action:<8} {sign}{money.format_usd(move.amount)}"
        f"  {_shown(move.actor or '-')}"
    )


def render_blame_text(team_id: str, entries: Sequence[BlameEntry]) -> str:
    if not entries:
        return f"{_shown(team_id)}: no envelope in the branch's history\n"
    lines: list[str] = [f"Envelope history of {_shown(team_id)}", ""]
    for e in entries:
        pr = f" (PR #{e.facts.pr})" if e.facts.pr is not None else ""
        lines.append(
            f"{e.change.commit[:7]} {e.change.date.date().isoformat()} {_shown(e.facts.author)}"
            f"{pr}: {_envelope(e.change.old)} -> {_envelope(e.change.new)}"
        )
        lines.append(f"    {_shown(e.facts.subject)}")
        if not e.movements:
            lines.append("    no movement carried this change")
        lines.extend(f"    applied  {_blame_line(m)}" for m in e.movements)
        lines.extend(f"    drift    {_blame_line(m)}  {_shown(m.note)}" for m in e.drift)
    return "\n".join(lines) + "\n"


def _drift_record(item: DriftItem) -> dict[str, object]:
    return {
        "transaction_id": item.transaction_id,
        "created_at": iso_utc(item.created_at),
        "team_id": item.team_id,
        "amount": money.decimal_str(item.amount),
        "actor": item.actor,
        "note": item.note,
        "policy": item.policy,
        "status": item.status,
        "effect": item.label,
    }


def render_drift(period_id: str, items: Sequence[DriftItem], fmt: str) -> str:
    """The current period's out-of-band flows on managed teams, as the planner classifies them."""
    if fmt == "json":
        document = {
            "format_version": FORMAT_VERSION,
            "period": period_id,
            "drift": [_drift_record(i) for i in items],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        lines = [f"## Drift in {period_id}", ""]
        if not items:
            return "\n".join([*lines, "No out-of-band flow on a managed team."]) + "\n"
        lines += [
            "| Time | Team | Amount | Actor | Note | Policy | Effect |",
            "| --- | --- | ---: | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {table_time(i.created_at)} | {_md(i.team_id)} "
            f"| {money.format_usd(i.amount, sign=True)} | {_md(i.actor or '-')} "
            f"| {_md(i.note or '-')} | {i.policy} | {i.label} |"
            for i in items
        ]
        return "\n".join(lines) + "\n"
    if not items:
        return f"No out-of-band flow on a managed team in {period_id}.\n"
    head = ("TIME", "TEAM", "AMOUNT", "ACTOR", "NOTE", "DRIFT", "EFFECT")
    rows = [
        (
            table_time(i.created_at),
            _shown(i.team_id),
            money.format_usd(i.amount, sign=True),
            _shown(i.actor or "-"),
            _shown(i.note or "-"),
            i.policy,
            i.label,
        )
        for i in items
    ]
    return f"Out-of-band flows in {period_id}:\n" + grid(head, rows, right=("AMOUNT",))
