"""The plan as a pull-request comment (GitHub-flavoured markdown).

A totals table first, then the movements in a ``<details>`` block, with deficits and drift
called out in ``> [!WARNING]`` blocks. Everything that comes from the budgets or the ledger is
escaped. The comment stays under ``MAX_MARKDOWN`` characters: when the full rendering is larger,
the long tables are cut and a note points to the full JSON plan.
"""

from __future__ import annotations

import html
import re

from reconciler.clock import table_time
from reconciler.money import format_usd
from reconciler.planning.types import Plan
from reconciler.render.cost_diff import sigma_line, team_rows
from reconciler.render.plan_text import HELD_LEGEND, NO_CHANGES, held
from reconciler.text import printable

MAX_MARKDOWN = 60_000
FULL_PLAN_HINT = "reconciler show plan.json --format json"

_SPECIAL = re.compile(r"([\\`*_{}\[\]|~#!])")


def escape(text: str | None) -> str:
    """Text safe inside a table cell or a paragraph: no markup, no HTML, one line."""
    if not text:
        return ""
    flat = html.escape(" ".join(printable(text).split()), quote=False)
    return _SPECIAL.sub(r"\\\1", flat)


def render_markdown(plan: Plan, *, budget: int = MAX_MARKDOWN) -> str:
    """The comment in at most ``budget`` characters (less than MAX_MARKDOWN when another
    section, such as the what-if, shares the comment)."""
    total = _longest_list(plan)
    text = _render(plan, total)
    if len(text) <= budget:
        return text
    low, high = 0, total  # find the most rows per table that still fits
    while low < high:
        middle = (low + high + 1) // 2
        if len(_render(plan, middle)) <= budget:
            low = middle
        else:
            high = middle - 1
    text = _render(plan, low)
    if len(text) > budget:  # a single cell too large: cut the text itself
        note = _truncation_note(plan, 0)
        text = text[: budget - len(note) - 2] + "\n\n" + note
    return text


def _longest_list(plan: Plan) -> int:
    return max(
        len(team_rows(plan)),
        len(plan.changes),
        len(plan.deficits),
        len(plan.drift),
        len(plan.unmanaged),
        len(plan.routing),
        len(plan.warnings),
        len(plan.exhaustion),
    )


def _render(plan: Plan, limit: int) -> str:
    """The comment with at most ``limit`` rows per list (a truncation note when any is cut)."""
    org = plan.org
    dirty = " (dirty)" if plan.dirty else ""
    title = f"reconciler plan `{plan.plan_id}` for {escape(plan.org_id)}, period {plan.period.id}"
    sigma = sigma_line(plan)
    head = (
        [f"### {title}"]
        if sigma is None
        else [f"### {sigma}", "", f"{title}. Money that will move:"]
    )
    out = [
        *head,
        "",
        "| | |",
        "|---|---:|",
        f"| Allocate total | {format_usd(plan.allocate_total)} |",
        f"| Reclaim total | {format_usd(plan.reclaim_total)} |",
        f"| Org available before | {format_usd(org.available_before)} |",
        f"| Org available after | {format_usd(org.available_after)} |",
        f"| Headroom | {format_usd(org.headroom)} |",
        f"| Changes | {len(plan.changes)} |",
        "",
        f"Commit `{plan.commit[:12]}`{dirty}.",
        *_team_table(plan, limit),
    ]
    if plan.override_reason is not None:
        out += ["", "> [!CAUTION]", f"> Guards overridden: {escape(plan.override_reason)}"]
    if plan.changes:
        rows = [
            f"| {i} | {c.action.value} | {escape(c.team_id)} | {format_usd(c.amount)} | "
            f"{format_usd(c.envelope)} | {format_usd(held(plan, c))} | {escape(c.reason)} |"
            for i, c in enumerate(plan.changes[:limit], start=1)
        ]
        out += [
            "",
            f"<details><summary>{len(plan.changes)} change(s), in execution order</summary>",
            "",
            "| # | Action | Team | Amount | Envelope | Held | Reason |",
            "|---:|---|---|---:|---:|---:|---|",
            *rows,
            "",
            f"<sub>{HELD_LEGEND}</sub>",
            "",
            "</details>",
        ]
    else:
        out += ["", NO_CHANGES]
    if plan.exhaustion:
        out += [
            "",
            "> [!NOTE]",
            "> **Forecast**: envelopes projected to run out before the period ends "
            "(from settlements; moves no money).",
            ">",
        ]
        out += [
            f"> - {escape(e.sentence())} (projected {format_usd(e.projected_spend)} of "
            f"{format_usd(e.envelope)})"
            for e in plan.exhaustion[:limit]
        ]
    if plan.deficits:
        out += [
            "",
            "> [!WARNING]",
            "> **Deficits**: money the budgets want back but cannot reclaim (not an error).",
            ">",
        ]
        out += [
            f"> - {escape(d.team_id)}: {format_usd(d.amount)} ({escape(d.reason)})"
            for d in plan.deficits[:limit]
        ]
    if plan.drift:
        out += ["", "> [!WARNING]", "> **Drift**: allocation flows made outside reconciler.", ">"]
        out += [
            f"> - {table_time(d.created_at)}Z {escape(d.team_id)} "
            f"{format_usd(d.amount, sign=True)} by {escape(d.actor) or 'unknown'}"
            f"{', note: ' + escape(d.note) if d.note else ''} "
            f"({d.label})"
            for d in plan.drift[:limit]
        ]
    if plan.unmanaged:
        out += ["", "**Unmanaged team wallets** (no Team document; never touched):", ""]
        out += [
            f"- {escape(u.team_id)}: balance {format_usd(u.balance)}, "
            f"available {format_usd(u.available)}"
            for u in plan.unmanaged[:limit]
        ]
    if plan.routing:
        out += ["", "**Routing changes** (consumer group → team wallet; no money moves):", ""]
        out += [
            f"- {escape(r.consumer_group)}: {escape(r.before) or '(none)'} → "
            f"{escape(r.after) or '(none)'}"
            for r in plan.routing[:limit]
        ]
    if plan.warnings:
        out += ["", "<details><summary>Warnings</summary>", ""]
        out += [f"- {escape(w)}" for w in plan.warnings[:limit]]
        out += ["", "</details>"]
    if limit < _longest_list(plan):
        out += ["", _truncation_note(plan, limit)]
    return "\n".join(out) + "\n"


def _team_table(plan: Plan, limit: int) -> list[str]:
    """Per team: envelope old → new, the change, and what moves (empty without envelopes)."""
    rows = team_rows(plan)
    if not rows:
        return []
    return [
        "",
        "| Team | Envelope | Change | Moves |",
        "|---|---:|---:|---|",
        *(
            f"| {escape(r.team_id)} | {r.before} → {r.after} | {r.change} | {r.moves} |"
            for r in rows[:limit]
        ),
    ]


def _truncation_note(plan: Plan, limit: int) -> str:
    return (
        f"> [!NOTE]\n> Truncated to stay under {MAX_MARKDOWN:,} characters: showing at most "
        f"{limit} row(s) per list ({len(plan.changes)} change(s) in total). "
        f"The full plan: `{FULL_PLAN_HINT}`."
    )
