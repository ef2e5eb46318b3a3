"""The harness measures a command whatever it prints: an apply of 1,000 movements writes a
progress line per movement to stderr, far more than a pipe holds."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from benchmarks.harness import Side, environment, measure

# 1 MiB on stderr, then a clean exit
LOUD = "import sys\nfor _ in range(1024):\n    sys.stderr.write('x' * 1023 + '\\n')\n"


def test_a_command_that_prints_more_than_a_pipe_holds_is_measured(tmp_path: Path) -> None:
    run = measure(Side([sys.executable, "-c", LOUD], tmp_path, environment()))
    assert run.max_rss_kib > 0


def test_a_failing_command_stops_the_run_with_its_last_words(tmp_path: Path) -> None:
    script = LOUD + "sys.stderr.write('the reason\\n')\nraise SystemExit(1)\n"
    with pytest.raises(SystemExit, match="the reason"):
        measure(Side([sys.executable, "-c", script], tmp_path, environment()))
