"""Renderings of a Plan: ``text`` for a terminal, ``json`` (the plan document), ``markdown``.

The CLI picks one by ``--format``; ``render(plan, fmt, color=...)`` dispatches. All are pure
functions of the plan, so a saved plan renders exactly as the plan that was computed.
"""

from __future__ import annotations

from reconciler.planning import document as plandoc
from reconciler.planning.types import Plan
from reconciler.render.plan_markdown import MAX_MARKDOWN, render_markdown
from reconciler.render.plan_text import NO_CHANGES, render_text

FORMATS = ("text", "json", "markdown")


def render_json(plan: Plan) -> str:
    """The plan document (``plandoc.dumps``): stable, versioned JSON."""
    return plandoc.dumps(plan)


def render(plan: Plan, fmt: str, *, color: bool = False) -> str:
    """Render ``plan`` in ``fmt`` (one of FORMATS); ``color`` only affects ``text``."""
    if fmt == "text":
        return render_text(plan, color=color)
    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
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
