"""Fixtures for the QA-a ledger fixes: the apply tests' git workspace, reused as is."""

from __future__ import annotations

from tests.apply.conftest import Workspace, workspace

__all__ = ["Workspace", "workspace"]
