"""Timing whole processes in pairs: the ratio of two commands measured in the same run.

Each command runs as its own process; ``pair`` runs A and B in turn (A B A B ...), after one
warm-up each unless told not to, and reports the median of the A/B ratios with the peak memory
(max RSS, from ``wait4``) of each side. Machines are shared and noisy: ratios hold, absolute
times do not. The runner imports nothing heavy (Linux keeps a process's peak RSS across exec,
so every command it starts would inherit the runner's peak).

Commands are recorded with placeholders, never this machine's paths: a directory under
``benchmarks/.data`` is ``<its name>``, the interpreter is ``python``.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
PYTHON = sys.executable
RECONCILER = [PYTHON, "-m", "reconciler"]

Setup = Callable[[], AbstractContextManager[object]]
"""Made fresh around every run of a side (a ledger copy, a server): not timed."""


@dataclass(frozen=True)
class Run:
    seconds: float  # float-ok: a duration for the report, never money
    max_rss_kib: int


@dataclass(frozen=True)
class Side:
    command: Sequence[str]
    cwd: Path
    env: dict[str, str]
    setup: Setup = field(default=nullcontext)


def shown(text: str) -> str:
    """``text`` with this machine's paths replaced by placeholders."""
    text = re.sub(re.escape(str(DATA)) + r"/([^/\s]+)", r"<\1>", text)
    text = text.replace(PYTHON, "python").replace(str(HERE.parent), ".")
    return text


def environment(now: str | None = None, **extra: str) -> dict[str, str]:
    """The runner's environment without KEEPTRUSTS_*/RECONCILER_*, plus RECONCILER_NOW."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEEPTRUSTS_", "RECONCILER_"))}
    if now is not None:
        env["RECONCILER_NOW"] = now
    env.update(extra)
    return env


def measure(side: Side) -> Run:
    """One run of ``side`` as its own process: wall time and the child's peak RSS."""
    # stderr goes to a file, not a pipe: nobody reads a pipe while the child runs, so a child
    # that prints more than the pipe holds (an apply's progress lines) would block on it
    with side.setup(), tempfile.TemporaryFile() as captured:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(side.command),
            cwd=side.cwd,
            env=side.env,
            stdout=subprocess.DEVNULL,
            stderr=captured,
        )
        _pid, status, usage = os.wait4(process.pid, 0)  # wait() would not give the child's RSS
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must know
        captured.seek(0)
        message = captured.read().decode(errors="replace")
    if process.returncode not in (0, 2):
        raise SystemExit(f"benchmark command failed: {shown(' '.join(side.command))}\n{message}")
    return Run(elapsed, usage.ru_maxrss)


def pair(name: str, a: Side, b: Side, *, runs: int, warmup: bool = True) -> dict[str, object]:
    """A and B in turn; the median of the A/B ratios and each side's times and peak RSS."""
    if warmup:
        measure(a)
        measure(b)
    a_runs: list[Run] = []
    b_runs: list[Run] = []
    for _ in range(runs):
        a_runs.append(measure(a))
        b_runs.append(measure(b))
    ratios = [x.seconds / y.seconds for x, y in zip(a_runs, b_runs, strict=True)]
    result: dict[str, object] = {
        "figure": name,
        "a": shown(" ".join(a.command)),
        "a_cwd": shown(str(a.cwd)),
        "b": shown(" ".join(b.command)),
        "b_cwd": shown(str(b.cwd)),
        "runs": runs,
        "ratio_median": round(statistics.median(ratios), 2),
        "ratio_min": round(min(ratios), 2),
        "ratio_max": round(max(ratios), 2),
        "a_seconds_median": round(statistics.median(r.seconds for r in a_runs), 3),
        "b_seconds_median": round(statistics.median(r.seconds for r in b_runs), 3),
        "a_max_rss_mib": round(max(r.max_rss_kib for r in a_runs) / 1024, 1),
        "b_max_rss_mib": round(max(r.max_rss_kib for r in b_runs) / 1024, 1),
    }
    print(
        f"{name:<66} {result['ratio_median']:>6}x  "
        f"(A {result['a_seconds_median']} s, {result['a_max_rss_mib']} MiB; "
        f"B {result['b_seconds_median']} s, {result['b_max_rss_mib']} MiB)",
        flush=True,
    )
    return result


def child_lines(script: str, *args: object) -> Iterator[str]:
    """Run a small Python ``script`` in a child (heavy imports stay out of the runner); its
    stdout lines. A failure stops the whole run with the child's stderr."""
    done = subprocess.run(
        [PYTHON, "-c", script, *map(str, args)], cwd=HERE.parent, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark setup failed:\n{done.stderr}")
    return iter(done.stdout.splitlines())
