"""A budgets repository applied by the real CLI, then touched outside git."""

from __future__ import annotations

from tests.support.workspace import NOW, NOW_AT, Workspace, workspace

__all__ = ["NOW", "NOW_AT", "Workspace", "workspace"]
