"""``reconciler whatif`` as text, JSON (versioned, exact) or markdown (a pull-request comment).

Every side-by-side cell reads ``base → proposed``; one value when they agree or there is no
base. JSON: ``{"format_version", "org_id", "base", "periods": [...], "teams": [...], "notes"}``
with amounts as decimal strings and instants as UTC ISO-8601.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from reconciler.clock import iso_utc
from reconciler.money import decimal_str, format_usd
from reconciler.render.terminal import render_table
from reconciler.text import printable
from reconciler.whatif import PeriodOutcome, Report, TeamOutcome

FORMAT_VERSION = 1
FORMATS = ("text", "json", "markdown")
MARKDOWN_LIMIT = 60_000
HEADERS = ["TEAM", "PERIOD", "ENVELOPE", "RAN OUT", "FELL THROUGH", "REFUSED", "UNUSED"]
RIGHT = ["ENVELOPE", "FELL THROUGH", "REFUSED", "UNUSED"]


def render_whatif(report: Report, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(whatif_document(report), indent=2) + "\n"
    if fmt == "markdown":
        return _markdown(report)
    return _text(report)


def _rows(report: Report, team_id: str) -> list[tuple[TeamOutcome | None, TeamOutcome | None]]:
    """(base, proposed) outcomes of ``team_id``, one pair per period."""
    base = report.base or ()
    return [
        (b.teams.get(team_id) if b else None, p.teams.get(team_id))
        for p, b in zip(report.proposed, base or [None] * len(report.proposed), strict=True)
    ]


def status(report: Report, team_id: str) -> str:
    """Why a team has no replay to show, or ``""``."""
    proposed = report.proposed[0].teams.get(team_id) if report.proposed else None
    if team_id in report.no_history:
        added = " (added in this change)" if team_id in report.added else ""
        return f"new team{added}: no spend history to replay"
    if proposed is None:
        return "not in the budgets: unmanaged, its wallet is left as it is"
    return ""


def summary(report: Report, team_id: str) -> str:
    """One sentence: how often the wallet ran out, fall-through and unused, base → proposed."""
    if status(report, team_id):
        return f"{team_id}: {status(report, team_id)}"
    pairs = _rows(report, team_id)
    proposed = [p for _b, p in pairs if p is not None]
    total = len(report.periods)
    out = [p for p in proposed if p.ran_out_at is not None]
    last = "the last " if report.as_of is None else ""
    text = f"{team_id}: would have run out in {len(out)} of {last}{total} periods"
    if out:
        first = min(out, key=lambda o: o.ran_out_at or datetime.max)
        period = next(r.period for r in report.proposed if r.teams.get(team_id) is first)
        assert first.ran_out_at is not None
        early = (period.end - first.ran_out_at).days
        text += f" (first on {first.ran_out_at:%d %b %Y %H:%M} UTC, {early} days early)"
    if report.base is not None:
        based = [b for b, _p in pairs if b is not None]
        if based:
            ran = sum(1 for b in based if b.ran_out_at is not None)
            text += f"; {report.base_name}: {ran} of {total}"
        else:
            text += "; not in the base budgets"
    fell = sum(p.fell_through for p in proposed)
    unused = sum(p.unused for p in proposed)
    refused = sum(p.refused for p in proposed)
    text += f". Fell through: {_pair(pairs, 'fell_through', fell)}"
    if refused or any(b and b.refused for b, _p in pairs):
        text += f". Refused: {_pair(pairs, 'refused', refused)}"
    where = "carried, rollover" if proposed and proposed[-1].rollover else "returned"
    end = "period end" if report.as_of is None else "period end or now"
    return text + f". Unused at {end} ({where}): {_pair(pairs, 'unused', unused)}."


def _pair(
    pairs: list[tuple[TeamOutcome | None, TeamOutcome | None]], field: str, proposed: int
) -> str:
    based = [getattr(b, field) for b, _p in pairs if b is not None]
    if not based:
        return format_usd(proposed)
    return _arrow(format_usd(sum(based)), format_usd(proposed))


def _arrow(before: str, after: str) -> str:
    return after if before == after else f"{before} → {after}"


def _cell(
    base: TeamOutcome | None, proposed: TeamOutcome | None, show: Callable[[TeamOutcome], str]
) -> str:
    after = show(proposed) if proposed is not None else "-"
    return after if base is None else _arrow(show(base), after)


def _ran_out(outcome: TeamOutcome) -> str:
    return "-" if outcome.ran_out_at is None else f"{outcome.ran_out_at:%Y-%m-%d %H:%M}"


def table_rows(report: Report) -> list[list[str]]:
    rows = []
    for team_id in report.team_ids:
        if status(report, team_id):
            continue  # said in the team's summary sentence
        for period, (b, p) in zip(report.periods, _rows(report, team_id), strict=True):
            rows.append(
                [
                    team_id,
                    period.id,
                    _cell(b, p, lambda o: format_usd(o.envelope)),
                    _cell(b, p, _ran_out),
                    _cell(b, p, lambda o: format_usd(o.fell_through)),
                    _cell(b, p, lambda o: format_usd(o.refused)),
                    _cell(b, p, lambda o: format_usd(o.unused)),
                ]
            )
    return [[printable(c) for c in row] for row in rows]


def _org_lines(report: Report) -> list[str]:
    lines = []
    base = report.base or [None] * len(report.proposed)
    for p, b in zip(report.proposed, base, strict=True):
        low = format_usd(p.org_lowest)
        if b is not None:
            low = _arrow(format_usd(b.org_lowest), low)
        flag = " (below headroom)" if p.org_lowest < p.headroom else ""
        line = (
            f"{p.period.id}: organization available at its lowest {low}, headroom "
            f"{format_usd(p.headroom)}{flag}"
        )
        if p.org_opening < p.headroom:
            line += (
                f"; it could not have funded these envelopes at the period start (short by "
                f"{format_usd(p.headroom - p.org_opening)}: plan would have refused)"
            )
        lines.append(line)
    return lines


def _heading(report: Report) -> str:
    periods = ", ".join(p.id for p in report.periods)
    if report.as_of is not None:
        periods += f" (to {iso_utc(report.as_of)})"
    if report.title:
        return f"What-if for {report.org_id}, periods {periods}: {report.title}"
    against = f"base {report.base_commit[:7]}" if report.base_commit else "no base"
    return f"What-if for {report.org_id}, periods {periods}: base → proposed ({against})"


def summaries(report: Report) -> str:
    """The heading and one sentence per team (the evidence next to ``suggest``'s numbers)."""
    return "\n".join([_heading(report), *(summary(report, t) for t in report.team_ids)]) + "\n"


def _text(report: Report) -> str:
    lines = [_heading(report), ""]
    lines += [summary(report, t) for t in report.team_ids]
    lines += ["", render_table(HEADERS, table_rows(report), right=RIGHT).rstrip("\n"), ""]
    lines += _org_lines(report)
    return "\n".join(lines) + "\n"


def markdown_section(report: Report, *, level: int = 3, budget: int = MARKDOWN_LIMIT) -> str:
    """The what-if as a markdown section of at most about ``budget`` characters (also the
    what-if section of the plan's pull-request comment): rows past it are left out, saying so."""
    head = "#" * level
    sentences = [f"- {printable(summary(report, t))}" for t in report.team_ids]
    kept: list[str] = []
    used = 0
    for sentence in sentences:
        used += len(sentence) + 1
        if used > budget // 3:
            kept.append(f"- _{len(sentences) - len(kept)} more teams: run `reconciler whatif`._")
            break
        kept.append(sentence)
    rows = table_rows(report)
    body = ["| " + " | ".join(h.title() for h in HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    used = 0
    for row in rows:
        line = "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |"
        used += len(line) + 1
        if used > budget // 2:
            body.append(f"\n_{len(rows) - len(body) + 2} more rows: run `reconciler whatif`._")
            break
        body.append(line)
    return "\n".join(
        [
            f"{head} {_heading(report)}",
            "",
            *kept,
            "",
            *[f"- {line}" for line in _org_lines(report)],
            "",
            "<details><summary>Per team and period</summary>",
            "",
            *body,
            "",
            "</details>",
        ]
    )


def _markdown(report: Report) -> str:
    notes = [f"> {printable(n)}" for n in report.notes]
    return markdown_section(report) + ("\n\n" + "\n".join(notes) if notes else "") + "\n"


def _outcome_json(outcome: TeamOutcome | None) -> dict[str, object] | None:
    if outcome is None:
        return None
    return {
        "envelope": decimal_str(outcome.envelope),
        "start": decimal_str(outcome.start),
        "spent": decimal_str(outcome.spent),
        "user_paid": decimal_str(outcome.user_paid),
        "fell_through": decimal_str(outcome.fell_through),
        "fell_through_below_headroom": decimal_str(outcome.below_headroom),
        "refused": decimal_str(outcome.refused),
        "refused_requests": outcome.refused_requests,
        "ran_out_at": None if outcome.ran_out_at is None else iso_utc(outcome.ran_out_at),
        "unused": decimal_str(outcome.unused),
        "unused_disposition": "carried" if outcome.rollover else "returned",
    }


def _org_json(outcome: PeriodOutcome | None) -> dict[str, str] | None:
    if outcome is None:
        return None
    return {
        "opening_available": decimal_str(outcome.org_opening),
        "lowest_available": decimal_str(outcome.org_lowest),
        "lowest_at": iso_utc(outcome.org_lowest_at),
    }


def whatif_document(report: Report) -> dict[str, object]:
    base = report.base or [None] * len(report.proposed)
    return {
        "format_version": FORMAT_VERSION,
        "org_id": report.org_id,
        "base": report.base_commit,
        "periods": [
            {
                "id": p.period.id,
                "start": iso_utc(p.period.start),
                "end": iso_utc(p.period.end),
                "headroom": decimal_str(p.headroom),
                "organization": {"proposed": _org_json(p), "base": _org_json(b)},
            }
            for p, b in zip(report.proposed, base, strict=True)
        ],
        "teams": [
            {
                "team_id": t,
                "status": status(report, t) or "replayed",
                "summary": summary(report, t),
                "periods": [
                    {"id": period.id, "proposed": _outcome_json(p), "base": _outcome_json(b)}
                    for period, (b, p) in zip(report.periods, _rows(report, t), strict=True)
                ],
            }
            for t in report.team_ids
        ],
        "notes": list(report.notes),
    }
