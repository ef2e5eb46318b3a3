"""Renderings of a Plan: ``text`` for a terminal, ``json`` (the plan document), ``markdown``.

The CLI picks one by ``--format``; ``render(plan, fmt, color=...)`` dispatches. All are pure
functions of the plan, so a saved plan renders exactly as the plan that was computed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from reconciler.planning import document as plandoc
from reconciler.planning.types import Plan
from reconciler.render.plan_markdown import MAX_MARKDOWN, render_markdown
from reconciler.render.plan_sections import NO_CHANGES
from reconciler.render.plan_text import render_text

if TYPE_CHECKING:
    from reconciler.whatif import Report

#: the share of the pull-request comment the what-if section may take
WHATIF_MARKDOWN_BUDGET = MAX_MARKDOWN // 4

FORMATS = ("text", "json", "markdown")


def render_json(plan: Plan) -> str:
    """The plan document (``plandoc.dumps``): stable, versioned JSON."""
    return plandoc.dumps(plan)


def render(plan: Plan, fmt: str, *, color: bool = False, whatif: Report | None = None) -> str:
    """Render ``plan`` in ``fmt`` (one of FORMATS); ``color`` only affects ``text``.

    ``whatif`` (``plan --whatif N``) adds its section: after the plan in text and markdown
    (sharing the comment's size limit), as the ``whatif`` key of the JSON document.
    """
    if whatif is not None:
        return _with_whatif(plan, fmt, whatif, color=color)
    if fmt == "text":
        return render_text(plan, color=color)
    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    raise ValueError(f"unknown plan format {fmt!r} (expected one of {', '.join(FORMATS)})")


def _with_whatif(plan: Plan, fmt: str, whatif: Report, *, color: bool) -> str:
    from reconciler.render.whatif import markdown_section, render_whatif, whatif_document

    if fmt == "text":
        return render_text(plan, color=color) + "\n" + render_whatif(whatif, "text")
    if fmt == "json":
        document = {**plandoc.to_document(plan), "whatif": whatif_document(whatif)}
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        section = markdown_section(whatif, budget=WHATIF_MARKDOWN_BUDGET) + "\n"
        return render_markdown(plan, budget=MAX_MARKDOWN - len(section) - 1) + "\n" + section
    raise ValueError(f"unknown plan format {fmt!r} (expected one of {', '.join(FORMATS)})")


__all__ = [
    "FORMATS",
    "MAX_MARKDOWN",
    "NO_CHANGES",
    "render",
    "render_json",
    "render_markdown",
    "render_text",
]
