"""Golden files: compare a rendering with ``tests/fixtures/...``; regenerate on request.

Set ``RECONCILER_UPDATE_GOLDEN=1`` to (re)write the files instead of comparing. Never on by
default: a missing golden file fails the test with the command that creates it.
"""

from __future__ import annotations

import os
from pathlib import Path

UPDATE_ENV = "RECONCILER_UPDATE_GOLDEN"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def updating() -> bool:
    return os.environ.get(UPDATE_ENV, "") not in ("", "0")


def assert_golden(relative: str, actual: str) -> None:
    path = FIXTURES / relative
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        raise AssertionError(f"missing golden file {path}: run with {UPDATE_ENV}=1 to create it")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{relative} differs (regenerate with {UPDATE_ENV}=1 and review)"
