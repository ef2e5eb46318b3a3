"""Golden files: compare a rendering with ``tests/fixtures/...``; regenerate on request.

Run pytest with ``--update-golden`` to (re)write the files instead of comparing (an option, not
an environment variable, so a shell can never change a result by accident). Never on by default:
a missing golden file fails the test with the command that creates it.
"""

from __future__ import annotations

from pathlib import Path

UPDATE_OPTION = "--update-golden"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
_updating = False


def set_updating(on: bool) -> None:
    global _updating
    _updating = on


def updating() -> bool:
    return _updating


def assert_golden(relative: str, actual: str) -> None:
    path = FIXTURES / relative
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        raise AssertionError(f"missing golden file {path}: run pytest {UPDATE_OPTION} to create it")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{relative} differs (regenerate with {UPDATE_OPTION} and review)"
