"""The plan as a pull-request comment (GitHub-flavoured markdown), laid out from
``plan_sections.sections(plan)``.

A totals table first, then the movements in a ``<details>`` block, with deficits and drift
called out in ``> [!WARNING]`` blocks. Everything that comes from the budgets or the ledger is
escaped. The comment stays under ``MAX_MARKDOWN`` characters: when the full rendering is larger,
the long tables are cut and a note points to the full JSON plan.
"""

from __future__ import annotations

from typing import assert_never

from reconciler.planning.types import Plan
from reconciler.render.plan_sections import (
    HELD_LEGEND,
    NO_CHANGES,
    ChangeRow,
    Deficits,
    Drift,
    Forecast,
    ListSection,
    PlanSections,
    Routing,
    Unmanaged,
    Warnings,
    sections,
)
from reconciler.render.terminal import markdown_escape

MAX_MARKDOWN = 60_000
FULL_PLAN_HINT = "reconciler show plan.json --format json"


def render_markdown(plan: Plan, *, budget: int = MAX_MARKDOWN) -> str:
    """The comment in at most ``budget`` characters (less than MAX_MARKDOWN when another
    section, such as the what-if, shares the comment)."""
    model = sections(plan)
    text = _render(model, model.longest)
    if len(text) <= budget:
        return text
    low, high = 0, model.longest  # find the most rows per table that still fits
    while low < high:
        middle = (low + high + 1) // 2
        if len(_render(model, middle)) <= budget:
            low = middle
        else:
            high = middle - 1
    text = _render(model, low)
    if len(text) > budget:  # a single cell too large: cut the text itself
        note = _truncation_note(model, 0)
        text = text[: budget - len(note) - 2] + "\n\n" + note
    return text


def _render(model: PlanSections, limit: int) -> str:
    """The comment with at most ``limit`` rows per list (a truncation note when any is cut)."""
    out = [*_summary(model), *_team_table(model, limit)]
    if model.head.override_reason is not None:
        out += [
            "",
            "> [!CAUTION]",
            f"> Guards overridden: {markdown_escape(model.head.override_reason)}",
        ]
    out += _changes(model.changes, limit) if model.changes else ["", NO_CHANGES]
    for section in model.lists:
        out += _list(section, limit)
    if limit < model.longest:
        out += ["", _truncation_note(model, limit)]
    return "\n".join(out) + "\n"


def _summary(model: PlanSections) -> list[str]:
    """The heading (the cost diff's Σ line when there is one), the totals, the commit."""
    head, summary = model.head, model.summary
    org = markdown_escape(head.org_id)
    title = f"reconciler plan `{head.plan_id}` for {org}, period {head.period_id}"
    lead = (
        [f"### {title}"]
        if head.sigma is None
        else [f"### {head.sigma}", "", f"{title}. Money that will move:"]
    )
    return [
        *lead,
        "",
        "| | |",
        "|---|---:|",
        f"| Allocate total | {summary.allocate} |",
        f"| Reclaim total | {summary.reclaim} |",
        f"| Org available before | {summary.available_before} |",
        f"| Org available after | {summary.available_after} |",
        f"| Headroom | {summary.headroom} |",
        f"| Changes | {summary.changes} |",
        "",
        f"Commit `{head.commit}`{' (dirty)' if head.dirty else ''}.",
    ]


def _team_table(model: PlanSections, limit: int) -> list[str]:
    """Per team: envelope old → new, the change, and what moves (empty without envelopes)."""
    if not model.teams:
        return []
    return [
        "",
        "| Team | Envelope | Change | Moves |",
        "|---|---:|---:|---|",
        *(
            f"| {markdown_escape(r.team_id)} | {r.before} → {r.after} | {r.change} | {r.moves} |"
            for r in model.teams[:limit]
        ),
    ]


def _changes(changes: tuple[ChangeRow, ...], limit: int) -> list[str]:
    """The first ``limit`` movements in a ``<details>`` block whose summary counts them all."""
    rows = [
        f"| {c.index} | {c.action.value} | {markdown_escape(c.team_id)} | {c.amount} | "
        f"{c.envelope} | {c.held} | {markdown_escape(c.reason)} |"
        for c in changes[:limit]
    ]
    return [
        "",
        f"<details><summary>{len(changes)} change(s), in execution order</summary>",
        "",
        "| # | Action | Team | Amount | Envelope | Held | Reason |",
        "|---:|---|---|---:|---:|---:|---|",
        *rows,
        "",
        f"<sub>{HELD_LEGEND}</sub>",
        "",
        "</details>",
    ]


def _list(section: ListSection, limit: int) -> list[str]:
    """One list section with at most ``limit`` rows: a callout, a paragraph or a details block."""
    match section:
        case Forecast(rows):
            return _callout(
                "NOTE",
                "**Forecast**: envelopes projected to run out before the period ends "
                "(from settlements; moves no money).",
                [
                    f"{markdown_escape(e.sentence)} (projected {e.projected} of {e.envelope})"
                    for e in rows[:limit]
                ],
            )
        case Deficits(rows):
            return _callout(
                "WARNING",
                "**Deficits**: money the budgets want back but cannot reclaim (not an error).",
                [
                    f"{markdown_escape(d.team_id)}: {d.amount} ({markdown_escape(d.reason)})"
                    for d in rows[:limit]
                ],
            )
        case Drift(rows):
            return _callout(
                "WARNING",
                "**Drift**: allocation flows made outside reconciler.",
                [
                    f"{d.when} {markdown_escape(d.team_id)} {d.amount} "
                    f"by {markdown_escape(d.actor) or 'unknown'}"
                    f"{', note: ' + markdown_escape(d.note) if d.note else ''} ({d.label})"
                    for d in rows[:limit]
                ],
            )
        case Unmanaged(rows):
            return _paragraph(
                "**Unmanaged team wallets** (no Team document; never touched):",
                [
                    f"{markdown_escape(u.team_id)}: balance {u.balance}, available {u.available}"
                    for u in rows[:limit]
                ],
            )
        case Routing(rows):
            return _paragraph(
                "**Routing changes** (consumer group → team wallet; no money moves):",
                [
                    f"{markdown_escape(r.consumer_group)}: "
                    f"{markdown_escape(r.before) or '(none)'} → "
                    f"{markdown_escape(r.after) or '(none)'}"
                    for r in rows[:limit]
                ],
            )
        case Warnings(rows):
            bullets = [f"- {markdown_escape(w)}" for w in rows[:limit]]
            return ["", "<details><summary>Warnings</summary>", "", *bullets, "", "</details>"]
    assert_never(section)


def _callout(kind: str, lead: str, bullets: list[str]) -> list[str]:
    """A GitHub alert block (``> [!WARNING]``): the lead sentence, then one bullet per row."""
    return ["", f"> [!{kind}]", f"> {lead}", ">", *(f"> - {b}" for b in bullets)]


def _paragraph(lead: str, bullets: list[str]) -> list[str]:
    return ["", lead, "", *(f"- {b}" for b in bullets)]


def _truncation_note(model: PlanSections, limit: int) -> str:
    return (
        f"> [!NOTE]\n> Truncated to stay under {MAX_MARKDOWN:,} characters: showing at most "
        f"{limit} row(s) per list ({model.summary.changes} change(s) in total). "
        f"The full plan: `{FULL_PLAN_HINT}`."
    )
