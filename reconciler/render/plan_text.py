"""The plan for a terminal: an aligned table in execution order, totals, then the other sections.

Colour (ANSI) only when ``color=True``; the CLI decides from the TTY and ``NO_COLOR``. Text that
comes from the budgets or the ledger (ids, notes, actors) goes through ``text.printable``, so a
note can neither drive the terminal nor forge a row.
"""

from __future__ import annotations

from datetime import datetime

from reconciler.clock import table_time
from reconciler.ledger import redacted
from reconciler.money import format_usd
from reconciler.planning.types import Action, Change, Plan
from reconciler.render.terminal import Style, table
from reconciler.text import printable

NO_CHANGES = "No changes. The ledger matches the budgets."


HELD_LEGEND = (
    "held: already counted toward the envelope (allocated this period + carry not rolled over; "
    "balance mode: available); the gap to the envelope is the amount plus any deficit."
)


def held(plan: Plan, change: Change) -> int:
    """What the rule counted toward ``change``'s envelope: envelope - delta, in micros.

    The delta is the movement (+ for an allocate, - for a reclaim) plus the team's deficit (what
    a reclaim could not take), so the row's numbers add up on screen whatever the mode."""
    if change.action is Action.ALLOCATE:
        return change.envelope - change.amount
    short = sum(d.amount for d in plan.deficits if d.team_id == change.team_id)
    return change.envelope + change.amount + short


def render_text(plan: Plan, *, color: bool) -> str:
    style = Style(color)
    lines = [*_header(plan, style), ""]
    if plan.changes:
        lines.extend(_changes(plan, style))
        lines.append("")
        lines.append(
            f"{len(plan.changes)} change(s): allocate {format_usd(plan.allocate_total)}, "
            f"reclaim {format_usd(plan.reclaim_total)}"
        )
    else:
        lines.append(style(NO_CHANGES, "green"))
    org = plan.org
    below = org.available_after < org.headroom
    lines.append(
        f"Organization wallet available {format_usd(org.available_before)} → "
        + style(format_usd(org.available_after), "red" if below else "bold")
        + f" (headroom {format_usd(org.headroom)})"
    )
    for title, rows in _sections(plan):
        if rows:
            lines.extend(["", style(title, "bold"), *(f"  {line}" for line in table(rows))])
    if plan.warnings:
        lines.extend(["", style("Warnings:", "bold", "yellow")])
        lines.extend(f"  - {printable(w)}" for w in plan.warnings)
    return "\n".join(lines) + "\n"


def _header(plan: Plan, style: Style) -> list[str]:
    period = plan.period
    span = (
        "all time"
        if period.id == "all"
        else f"{period.start:%Y-%m-%d} → {period.end:%Y-%m-%d}, UTC"
    )
    lines = [
        style(f"Plan {plan.plan_id}", "bold")
        + f" for {printable(plan.org_id)}, period {period.id} ({span})",
        f"commit {plan.commit[:12]}"
        + (style(" (dirty)", "yellow") if plan.dirty else "")
        + (f", ledger {redacted(plan.ledger)}" if plan.ledger else ""),
    ]
    if plan.override_reason is not None:
        lines.append(style(f"Guards overridden: {printable(plan.override_reason)}", "yellow"))
    return lines


def _changes(plan: Plan, style: Style) -> list[str]:
    header = ["#", "action", "team", "amount", "envelope", "held", "reason"]
    rows = [
        [
            str(index),
            change.action.value,
            printable(change.team_id),
            format_usd(change.amount),
            format_usd(change.envelope),
            format_usd(held(plan, change)),
            printable(change.reason),
        ]
        for index, change in enumerate(plan.changes, start=1)
    ]
    colours = ["green" if c.action is Action.ALLOCATE else "yellow" for c in plan.changes]
    lines = table(rows, headers=header, right={0, 3, 4, 5})
    out = [style(lines[0], "bold")]
    for line, colour, change in zip(lines[1:], colours, plan.changes, strict=True):
        action = change.action.value
        out.append(line.replace(f"  {action}  ", f"  {style(action, colour)}  ", 1))
    return [*out, style(HELD_LEGEND, "dim")]


def _sections(plan: Plan) -> list[tuple[str, list[list[str]]]]:
    return [
        (
            "Forecast (envelopes projected to run out before the period ends; moves no money):",
            [
                [
                    printable(e.team_id),
                    f"runs out on {e.runs_out.isoformat()}",
                    e.early,
                    f"projected {format_usd(e.projected_spend)} of {format_usd(e.envelope)}",
                ]
                for e in plan.exhaustion
            ],
        ),
        (
            "Deficits (wanted back, cannot be reclaimed; not an error):",
            [
                [printable(d.team_id), format_usd(d.amount), printable(d.reason)]
                for d in plan.deficits
            ],
        ),
        (
            "Drift (allocation flows made outside reconciler):",
            [
                [
                    _when(d.created_at),
                    printable(d.team_id),
                    format_usd(d.amount, sign=True),
                    printable(d.actor) or "-",
                    d.label,
                    printable(d.note) or "-",
                ]
                for d in plan.drift
            ],
        ),
        (
            "Unmanaged team wallets (no Team document; never touched):",
            [
                [
                    printable(u.team_id),
                    f"balance {format_usd(u.balance)}",
                    f"available {format_usd(u.available)}",
                ]
                for u in plan.unmanaged
            ],
        ),
        (
            "Routing changes (consumer group → team wallet; no money moves):",
            [
                [
                    printable(r.consumer_group),
                    f"{printable(r.before) or '(none)'} → {printable(r.after) or '(none)'}",
                ]
                for r in plan.routing
            ],
        ),
    ]


def _when(moment: datetime) -> str:
    return f"{table_time(moment)}Z"
