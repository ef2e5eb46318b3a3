"""The plan for a terminal: an aligned table in execution order, totals, then the other sections.

Lays out ``plan_sections.sections(plan)``. Colour (ANSI) only when ``color=True``; the CLI
decides from the TTY and ``NO_COLOR``. Text that comes from the budgets or the ledger (ids,
notes, actors) goes through ``text.printable``, so a note can neither drive the terminal nor
forge a row.
"""

from __future__ import annotations

from typing import assert_never

from reconciler.planning.types import Action, Plan
from reconciler.render.plan_sections import (
    HELD_LEGEND,
    NO_CHANGES,
    ChangeRow,
    Deficits,
    Drift,
    Forecast,
    Head,
    ListSection,
    Routing,
    Summary,
    Unmanaged,
    Warnings,
    sections,
)
from reconciler.render.terminal import Style, table
from reconciler.text import printable


def render_text(plan: Plan, *, color: bool) -> str:
    style = Style(color)
    model = sections(plan)
    lines = [*_header(model.head, style), ""]
    if model.changes:
        lines.extend(_changes(model.changes, style))
        lines.append("")
        lines.append(_totals(model.summary))
    else:
        lines.append(style(NO_CHANGES, "green"))
    lines.append(_org_line(model.summary, style))
    for section in model.lists:
        lines.extend(_list(section, style))
    return "\n".join(lines) + "\n"


def _header(head: Head, style: Style) -> list[str]:
    lines = [
        style(f"Plan {head.plan_id}", "bold")
        + f" for {printable(head.org_id)}, period {head.period_id} ({head.span})",
        f"commit {head.commit}"
        + (style(" (dirty)", "yellow") if head.dirty else "")
        + (f", ledger {head.ledger}" if head.ledger else ""),
    ]
    if head.override_reason is not None:
        lines.append(style(f"Guards overridden: {printable(head.override_reason)}", "yellow"))
    return lines


def _totals(summary: Summary) -> str:
    return f"{summary.changes} change(s): allocate {summary.allocate}, reclaim {summary.reclaim}"


def _org_line(summary: Summary, style: Style) -> str:
    return (
        f"Organization wallet available {summary.available_before} → "
        + style(summary.available_after, "red" if summary.below_headroom else "bold")
        + f" (headroom {summary.headroom})"
    )


def _changes(changes: tuple[ChangeRow, ...], style: Style) -> list[str]:
    header = ["#", "action", "team", "amount", "envelope", "held", "reason"]
    rows = [
        [
            str(c.index),
            c.action.value,
            printable(c.team_id),
            c.amount,
            c.envelope,
            c.held,
            printable(c.reason),
        ]
        for c in changes
    ]
    lines = table(rows, headers=header, right={0, 3, 4, 5})
    out = [style(lines[0], "bold")]
    for line, change in zip(lines[1:], changes, strict=True):
        action = change.action.value
        colour = "green" if change.action is Action.ALLOCATE else "yellow"
        out.append(line.replace(f"  {action}  ", f"  {style(action, colour)}  ", 1))
    return [*out, style(HELD_LEGEND, "dim")]


def _list(section: ListSection, style: Style) -> list[str]:
    """A blank line, the section's title, then its rows: an indented table (warnings: bullets)."""
    match section:
        case Forecast(rows):
            return _titled(
                "Forecast (envelopes projected to run out before the period ends; moves no money):",
                [
                    [
                        printable(e.team_id),
                        f"runs out on {e.runs_out}",
                        e.early,
                        f"projected {e.projected} of {e.envelope}",
                    ]
                    for e in rows
                ],
                style,
            )
        case Deficits(rows):
            return _titled(
                "Deficits (wanted back, cannot be reclaimed; not an error):",
                [[printable(d.team_id), d.amount, printable(d.reason)] for d in rows],
                style,
            )
        case Drift(rows):
            return _titled(
                "Drift (allocation flows made outside reconciler):",
                [
                    [
                        d.when,
                        printable(d.team_id),
                        d.amount,
                        printable(d.actor) or "-",
                        d.label,
                        printable(d.note) or "-",
                    ]
                    for d in rows
                ],
                style,
            )
        case Unmanaged(rows):
            return _titled(
                "Unmanaged team wallets (no Team document; never touched):",
                [
                    [printable(u.team_id), f"balance {u.balance}", f"available {u.available}"]
                    for u in rows
                ],
                style,
            )
        case Routing(rows):
            return _titled(
                "Routing changes (consumer group → team wallet; no money moves):",
                [
                    [
                        printable(r.consumer_group),
                        f"{printable(r.before) or '(none)'} → {printable(r.after) or '(none)'}",
                    ]
                    for r in rows
                ],
                style,
            )
        case Warnings(rows):
            return [
                "",
                style("Warnings:", "bold", "yellow"),
                *(f"  - {printable(w)}" for w in rows),
            ]
    assert_never(section)


def _titled(title: str, rows: list[list[str]], style: Style) -> list[str]:
    return ["", style(title, "bold"), *(f"  {line}" for line in table(rows))]
