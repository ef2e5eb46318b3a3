"""The suite-wide clock guard (tests/conftest.py): the wall clock is far from every fixture date,
in this process, in child Python processes and in git commits made without an explicit date."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import wall_clock_instant
from tests.support.git_repo import GitRepo


def near(moment: datetime, target: datetime) -> bool:
    return target <= moment < target + timedelta(minutes=30)


def test_python_clock_is_the_runs_wall_clock(pytestconfig: pytest.Config) -> None:
    target = wall_clock_instant(pytestconfig)
    assert near(datetime.now(UTC), target)  # clock-ok: this test checks the guard itself


def test_a_child_python_process_sees_the_same_clock(pytestconfig: pytest.Config) -> None:
    target = wall_clock_instant(pytestconfig)
    script = "import datetime; print(datetime.datetime.now(datetime.UTC))"  # clock-ok
    shown = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert near(datetime.fromisoformat(shown), target)


def test_a_commit_without_a_date_gets_the_wall_clock_too(
    tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("a.txt", "a\n")
    repo.git("add", "a.txt")
    repo.git("commit", "--quiet", "-m", "undated")
    stamp = repo.git("log", "-1", "--format=%cI")
    assert datetime.fromisoformat(stamp).astimezone(UTC) == wall_clock_instant(pytestconfig)
