"""Suite-wide guards.

- No ``KEEPTRUSTS_*``, ``RECONCILER_*`` or ``GIT_*`` variable from the caller's shell reaches a
  test, and nothing writes to the real home directory.
- **The wall clock is somewhere else.** For the whole run Python's clock is moved (time-machine,
  ticking) to ``--wall-clock`` (default 2037-06-15T09:30:00Z, years after every fixture date),
  in this process and in every ``reconciler`` subprocess a test starts (``tests/support/wallclock``
  on ``PYTHONPATH``), and git commits made without an explicit date get that instant too. A test
  that forgot to inject an instant (``RECONCILER_NOW``, ``clock=``, ``GitRepo.commit(when=…)``)
  therefore sees 2037 and fails at once, on any day; a correct test passes whatever the clock
  says. Check with ``pytest --wall-clock 2026-12-31T23:59:50Z`` (or any instant).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from tests.support import golden, proof

# Shared fixtures (tests/support): a git workspace with budgets and a sandbox ledger, a served
# ledger, and the two Ledger backends of the contract suite.
pytest_plugins = [
    "tests.support.workspace",
    "tests.support.served",
    "tests.support.backends",
]

DEFAULT_WALL_CLOCK = "2037-06-15T09:30:00Z"
WALLCLOCK_DIR = Path(__file__).resolve().parent / "support" / "wallclock"
SCRUBBED_PREFIXES = ("KEEPTRUSTS_", "RECONCILER_", "GIT_")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--wall-clock",
        default=DEFAULT_WALL_CLOCK,
        metavar="WHEN",
        help="ISO-8601 UTC instant Python's clock is moved to for the whole run "
        f"(default {DEFAULT_WALL_CLOCK}); no test outcome may depend on it",
    )
    parser.addoption(
        "--reliability",
        action="store_true",
        help="the long versions of the reliability tests (more seeds, examples and kill points)",
    )
    parser.addoption(
        "--fuzz-examples",
        default=150,
        type=int,
        metavar="N",
        help="examples per fuzz target in tests/fuzz (make fuzz runs many more)",
    )
    parser.addoption(
        golden.UPDATE_OPTION,
        action="store_true",
        help="rewrite the golden files under tests/fixtures instead of comparing (review the diff)",
    )


def pytest_configure(config: pytest.Config) -> None:
    golden.set_updating(bool(config.getoption(golden.UPDATE_OPTION)))


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """tests/reliability holds the long runs: collected only with --reliability."""
    if collection_path.name == "reliability" and not config.getoption("--reliability"):
        return True
    return None


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if proof.proved:
        terminalreporter.section("what the reliability tests proved")
        for what, count in sorted(proof.proved.items()):
            terminalreporter.write_line(f"{count:>9,}  {what}")


@pytest.fixture
def reliability(pytestconfig: pytest.Config) -> bool:
    """True under ``make reliability``: run the long versions."""
    return bool(pytestconfig.getoption("--reliability"))


def wall_clock_instant(config: pytest.Config) -> datetime:
    text = str(config.getoption("--wall-clock"))
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise pytest.UsageError(f"--wall-clock {text!r} needs a UTC offset (…Z)")
    return when.astimezone(UTC)


@pytest.fixture(autouse=True, scope="session")
def _wall_clock_elsewhere(pytestconfig: pytest.Config) -> Iterator[datetime]:
    when = wall_clock_instant(pytestconfig)
    with time_machine.travel(when, tick=True):
        yield when


@pytest.fixture(autouse=True)
def _isolated_environment(
    _wall_clock_elsewhere: datetime,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.startswith(SCRUBBED_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    stamp = _wall_clock_elsewhere.isoformat()
    monkeypatch.setenv("GIT_AUTHOR_DATE", stamp)
    monkeypatch.setenv("GIT_COMMITTER_DATE", stamp)
    monkeypatch.setenv("PYTEST_WALL_CLOCK", stamp)
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(WALLCLOCK_DIR) + (os.pathsep + path if path else ""))
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test Author\n\temail = test@example.com\n"
        "[init]\n\tdefaultBranch = main\n",
        encoding="utf-8",
    )


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
