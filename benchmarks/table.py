"""The README's performance table, from ``benchmarks/results.json``.

    python -m benchmarks.table [RESULTS]

One row per figure, in the order of the groups (config, plan, http, ratios, whatif) whichever
was measured last: the figure (A / B), the measured ratio (median, with the range over the
runs) or, for request counts, what the server counted; the issue's target and whether it is
met; the peak memory (max RSS) of each side.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.harness import HERE

MB = 1_000_000
ORDER = ("config", "plan", "http", "ratios", "whatif")  # benchmarks.whole's groups


def measured(figure: dict[str, Any]) -> str:
    if "requests" in figure:
        return (
            f"{figure['requests']:,} requests ({figure['reads']:,} reads, "
            f"{figure['writes']:,} writes), {figure['bytes_out'] / MB:.1f} MB "
            f"for {figure['movements']:,} movements; one plan: {figure['plan_requests']:,}"
        )
    spread = ""
    if figure.get("runs", 1) > 1:
        spread = f" ({figure['ratio_min']}–{figure['ratio_max']})"
    return f"{figure['ratio_median']}×{spread}"


def memory(figure: dict[str, Any]) -> str:
    if "b_max_rss_mib" not in figure:
        return f"{figure['a_max_rss_mib']} MiB"
    return f"{figure['a_max_rss_mib']} / {figure['b_max_rss_mib']} MiB"


def met(figure: dict[str, Any]) -> str:
    if figure.get("met") is None:
        return "–"
    return "yes" if figure["met"] else "**no**"


def table(results: dict[str, Any]) -> str:
    lines = [
        "| figure (A / B) | measured | target | met | peak memory A / B |",
        "|---|---|---|---|---|",
    ]
    figures = sorted(results["figures"], key=lambda f: ORDER.index(f.get("group", "whatif")))
    for figure in figures:
        cells = [
            figure["figure"],
            measured(figure),
            figure.get("target") or "–",
            met(figure),
            memory(figure),
        ]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else HERE / "results.json"
    print(table(json.loads(path.read_text(encoding="utf-8"))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
