"""``usage --html``: one self-contained page (inline CSS, charts as data: PNGs) made with
matplotlib (the ``report`` extra): spend vs envelope per team, and the period's burn-down of
the organization's envelopes with the forecast."""

from __future__ import annotations

import base64
import html
import io
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from reconciler.errors import UsageError
from reconciler.money import format_usd
from reconciler.render.usage import HEADERS, team_rows
from reconciler.text import printable
from reconciler.usage import Usage

_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;"
    "text-align:right}td:first-child,th:first-child{text-align:left}img{max-width:100%}"
)


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise UsageError("--html needs matplotlib: pip install 'reconciler[report]'") from exc
    return plt


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _dollars(micros: int) -> float:  # float-ok: a chart coordinate
    return micros / 1_000_000  # float-ok


def spend_chart(usage: Usage) -> str:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(8, 3.5))
    names = [t.team_id for t in usage.teams]
    positions = list(range(len(names)))
    axes.bar(
        [p - 0.2 for p in positions],
        [_dollars(t.envelope) for t in usage.teams],
        0.4,
        label="envelope",
        color="#9ecae1",
    )  # float-ok
    axes.bar(
        [p + 0.2 for p in positions],
        [_dollars(t.spent) for t in usage.teams],
        0.4,
        label="spent",
        color="#e6550d",
    )  # float-ok
    axes.set_xticks(positions, names, rotation=20, ha="right")
    axes.set_ylabel("USD")
    axes.set_title(f"Spend vs envelope, {usage.period.id}")
    axes.legend()
    try:
        return _png(figure)
    finally:
        plt.close(figure)


def burndown_chart(usage: Usage) -> str:
    """Σ envelopes remaining over the period: actual to now, then the forecast to the end."""
    plt = _pyplot()
    envelopes = sum(t.envelope for t in usage.teams)
    spent = sum(t.spent for t in usage.teams)
    projected = sum(t.forecast.projected_spend or t.spent for t in usage.teams)
    start, now = usage.period.start, usage.now
    end = min(usage.period.end, now + timedelta(days=366))
    figure, axes = plt.subplots(figsize=(8, 3.5))
    axes.plot(
        [start, now],
        [_dollars(envelopes), _dollars(envelopes - spent)],
        label="remaining (linear to now)",
        color="#3182bd",
    )
    axes.plot(
        [now, end],
        [_dollars(envelopes - spent), _dollars(envelopes - projected)],
        linestyle="--",
        label="forecast",
        color="#e6550d",
    )
    axes.axhline(0, color="#888", linewidth=0.8)
    axes.set_ylabel("USD")
    axes.set_title(f"Burn-down of Σ envelopes, {usage.period.id}")
    axes.legend()
    figure.autofmt_xdate()
    try:
        return _png(figure)
    finally:
        plt.close(figure)


def render_html(usage: Usage) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADERS)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
        for row in team_rows(usage)
    )
    title = html.escape(f"Usage of period {usage.period.id} ({printable(usage.org_id)})")
    return (
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
        f"<style>{_CSS}</style></head><body><h1>{title}</h1>"
        f"<p>Settled in the period: {html.escape(format_usd(usage.total_spent))} "
        f"(unattributed {html.escape(format_usd(usage.unattributed_spent))}).</p>"
        f"<table><tr>{head}</tr>{rows}</table>"
        f'<p><img alt="spend vs envelope" src="data:image/png;base64,{spend_chart(usage)}"></p>'
        f'<p><img alt="burn-down" src="data:image/png;base64,{burndown_chart(usage)}"></p>'
        "</body></html>\n"
    )


def write_html(usage: Usage, path: Path) -> None:
    """Write the page through a temporary file and a rename (never a half-written report)."""
    text = render_html(usage)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a report is for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
