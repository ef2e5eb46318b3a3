"""``reconciler usage`` as text (a table with bars), JSON (versioned, exact) or markdown.

JSON: ``{"format_version", "period", "teams": [...], "organization": {...}}`` with amounts as
decimal strings; ``--by consumer-group|user`` adds ``"groups": [{"key", "spent",
"settlements"}]``. Markdown is a PR/issue comment: the table, then a mermaid ``xychart-beta``
of envelope vs spend per team (GitHub renders it).
"""

from __future__ import annotations

import json
from decimal import Decimal

from reconciler.clock import iso_utc
from reconciler.forecast import Forecast
from reconciler.money import decimal_str, format_usd, from_micros
from reconciler.render.terminal import render_table
from reconciler.text import printable
from reconciler.usage import TeamUsage, Usage

FORMAT_VERSION = 1
FORMATS = ("text", "json", "markdown")
BAR_WIDTH = 20


def render_usage(usage: Usage, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(usage_document(usage), indent=2) + "\n"
    if fmt == "markdown":
        return _markdown(usage)
    return _text(usage)


def bar(spent: int, envelope: int, width: int = BAR_WIDTH) -> str:
    """``[#######.............]``: the share of the envelope spent, '!' past 100%."""
    if envelope <= 0:
        return "[" + ("!" * width if spent else "." * width) + "]"
    filled = min(width, spent * width // envelope)
    tail = "!" if spent > envelope else "."
    return "[" + "#" * filled + tail * (width - filled) + "]"


def _percent(value: Decimal | None) -> str:
    return "-" if value is None else f"{(value * 100).quantize(Decimal('0.1'))}%"


def _exhaustion(result: Forecast) -> str:
    if result.exhaustion is None:
        return "-" if result.basis != "insufficient history" else "n/a"
    return result.exhaustion.isoformat()


def team_rows(usage: Usage) -> list[list[str]]:
    return [
        [
            printable(t.team_id),
            format_usd(t.envelope),
            format_usd(t.spent),
            bar(t.spent, t.envelope),
            _percent(t.utilization),
            format_usd(t.fell_through),
            "-"
            if t.forecast.burn_rate_per_day is None
            else format_usd(t.forecast.burn_rate_per_day),
            _exhaustion(t.forecast),
            printable(t.status),
        ]
        for t in usage.teams
    ]


HEADERS = ["TEAM", "ENVELOPE", "SPENT", "", "USED", "FELL THROUGH", "PER DAY", "RUNS OUT", "STATUS"]


def _text(usage: Usage) -> str:
    org = printable(usage.org_id)
    lines = [f"Usage of period {usage.period.id} as of {iso_utc(usage.now)} ({org})", ""]
    if usage.by != "team":
        table = render_table(
            [usage.by.upper(), "SPENT", "SETTLEMENTS"],
            [[printable(g.key), format_usd(g.spent), f"{g.settlements:,}"] for g in usage.groups],
            right=["SPENT", "SETTLEMENTS"],
        )
    else:
        table = render_table(
            HEADERS,
            team_rows(usage),
            right=["ENVELOPE", "SPENT", "USED", "FELL THROUGH", "PER DAY"],
        )
    lines.append(table.rstrip("\n"))
    lines += [
        "",
        f"Settled in the period: {format_usd(usage.total_spent)} "
        f"(unattributed {format_usd(usage.unattributed_spent)}); "
        f"organization available {format_usd(usage.org_available)}",
    ]
    for team in usage.teams:
        if team.forecast.reason:
            reason = printable(f"{team.team_id}: no forecast: {team.forecast.reason}")
            lines.append(reason)
    return "\n".join(lines) + "\n"


def _markdown(usage: Usage) -> str:
    head = "| " + " | ".join(h or "bar" for h in HEADERS) + " |"
    sep = "|" + "---|" * len(HEADERS)
    body = [
        "| " + " | ".join(f"`{c}`" if c.startswith("[") else c for c in row) + " |"
        for row in team_rows(usage)
    ]
    names = ", ".join(f'"{t.team_id}"' for t in usage.teams)
    envelopes = ", ".join(
        str(from_micros(t.envelope).quantize(Decimal("0.01"))) for t in usage.teams
    )
    spends = ", ".join(str(from_micros(t.spent).quantize(Decimal("0.01"))) for t in usage.teams)
    top = max([t.envelope for t in usage.teams] + [t.spent for t in usage.teams] + [0])
    chart = [
        "```mermaid",
        "xychart-beta",
        f'    title "Envelope vs spend, {usage.period.id}"',
        f"    x-axis [{names}]",
        f'    y-axis "USD" 0 --> {from_micros(top).quantize(Decimal("1"))}',
        f"    bar [{envelopes}]",
        f"    bar [{spends}]",
        "```",
    ]
    return (
        "\n".join(
            [
                f"### Usage of period {usage.period.id} ({printable(usage.org_id)})",
                "",
                head,
                sep,
                *body,
                "",
                f"Settled in the period: **{format_usd(usage.total_spent)}** (unattributed "
                f"{format_usd(usage.unattributed_spent)}).",
                "",
                *chart,
            ]
        )
        + "\n"
    )


def team_json(team: TeamUsage) -> dict[str, object]:
    return {
        "team_id": team.team_id,
        "name": team.name,
        "envelope": decimal_str(team.envelope),
        "allocated": decimal_str(team.allocated),
        "spent": decimal_str(team.spent),
        "funded_by_team_wallet": decimal_str(team.funded_by_team_wallet),
        "fell_through": decimal_str(team.fell_through),
        "reserved": decimal_str(team.reserved),
        "available": decimal_str(team.available),
        "utilization": None if team.utilization is None else str(team.utilization),
        "burn_rate_per_day": _amount(team.forecast.burn_rate_per_day),
        "projected_spend": _amount(team.forecast.projected_spend),
        "projected_exhaustion": (
            None if team.forecast.exhaustion is None else team.forecast.exhaustion.isoformat()
        ),
        "forecast_basis": team.forecast.basis,
        "forecast_reason": team.forecast.reason,
        "cost_tickets": team.cost_tickets,
        "status": team.status,
    }


def usage_document(usage: Usage) -> dict[str, object]:
    document: dict[str, object] = {
        "format_version": FORMAT_VERSION,
        "period": {
            "id": usage.period.id,
            "start": iso_utc(usage.period.start),
            "end": iso_utc(usage.period.end),
            "as_of": iso_utc(usage.now),
        },
        "teams": [team_json(t) for t in usage.teams],
        "organization": {
            "org_id": usage.org_id,
            "spent": decimal_str(usage.total_spent),
            "unattributed_spent": decimal_str(usage.unattributed_spent),
            "available": decimal_str(usage.org_available),
            "unattributed_cost_tickets": usage.unattributed_cost_tickets,
        },
    }
    if usage.by != "team":
        document["by"] = usage.by
        document["groups"] = [
            {"key": g.key, "spent": decimal_str(g.spent), "settlements": g.settlements}
            for g in usage.groups
        ]
    return document


def _amount(micros: int | None) -> str | None:
    return None if micros is None else decimal_str(micros)
