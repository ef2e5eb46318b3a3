"""A corpus of hostile budgets repositories (tests/fixtures/invalid/): each one is refused with
its expected message, exit 1, no traceback, and nothing reaches the ledger.

Every case is a folder holding a ``budgets/`` tree and ``expected.txt``: the exact lines
``reconciler validate`` prints on stderr (regenerate with ``pytest --update-golden`` and review
the diff). Cases too large to keep in git (a 50 MB file, an alias bomb, deep nesting) are made by
``LARGE`` at test time. Each case is also planned against a real sandbox ledger, which must not
change.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.clocks import TickingClock
from tests.support.golden import FIXTURES, assert_golden
from tests.support.planning import NOW, m
from tests.support.proof import record

CORPUS = FIXTURES / "invalid"


def _write(root: Path, relative: str, data: str | bytes) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)


ORG = (
    "apiVersion: reconciler/v1\nkind: Organization\nid: org_acme\nperiod: monthly\n"
    "headroom: 100.00\n"
)


def _huge_file(root: Path) -> None:
    _write(root, "budgets/org.yaml", ORG)
    body = b"# " + b"x" * 1022 + b"\n"
    with (root / "budgets" / "huge.yaml").open("wb") as handle:
        for _ in range(50 * 1024):
            handle.write(body)


def _alias_bomb(root: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for index in range(1, 10):
        prev, name = chr(ord("a") + index - 1), chr(ord("a") + index)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    _write(root, "budgets/org.yaml", ORG)
    _write(root, "budgets/bomb.yaml", "\n".join(lines) + "\n")


def _deep_nesting(root: Path) -> None:
    _write(root, "budgets/org.yaml", ORG)
    _write(root, "budgets/deep.yaml", "x: " + "[" * 5000 + "]" * 5000 + "\n")


def _link_outside(root: Path) -> None:
    _write(root, "budgets/org.yaml", ORG)
    _write(root, "secret.yaml", "apiVersion: reconciler/v1\nkind: Team\nid: team_x\n")
    (root / "budgets" / "team.yaml").symlink_to(root / "secret.yaml")


LARGE: dict[str, Callable[[Path], None]] = {
    "large-50mb-file": _huge_file,
    "large-alias-bomb": _alias_bomb,
    "large-deep-nesting": _deep_nesting,
    "large-symlink-outside": _link_outside,
}


def cases() -> list[str]:
    names = sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []
    return [*names, *sorted(LARGE)]


@pytest.fixture
def case_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    name = request.param
    root = tmp_path / name
    if name in LARGE:
        root.mkdir()
        LARGE[name](root)
    else:
        shutil.copytree(CORPUS / name, root, symlinks=True)
    return root


@pytest.mark.parametrize("case_dir", cases(), indirect=True)
def test_each_hostile_repository_is_refused_with_its_message_and_moves_nothing(
    case_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(case_dir)
    runner = CliRunner()
    result = runner.invoke(cli, ["validate", "budgets"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.strip(), "no message"
    lines = [line for line in result.stderr.splitlines() if not line.startswith("warning")]
    expected = "\n".join(lines[:5]) + "\n"
    for where in {str(case_dir.resolve()), str(case_dir)}:
        expected = expected.replace(where, "<case>")
    name = case_dir.name
    if name in LARGE:
        assert_golden(f"invalid-large/{name}.txt", expected)
    else:
        assert_golden(f"invalid/{name}/expected.txt", expected)

    db = case_dir / "ledger.db"
    with SqliteLedger.create(db, "org_acme", clock=TickingClock(NOW)) as ledger:
        ledger.credit(m(1000), note="seed")
        before = ledger.entry_count()
    monkeypatch.setenv("RECONCILER_NOW", "2026-11-15T12:00:00Z")
    planned = runner.invoke(cli, ["plan", "budgets", "--ledger", f"sqlite:///{db}"])
    assert planned.exit_code == 1, planned.output
    assert "Traceback" not in planned.output
    with SqliteLedger(db, clock=TickingClock(NOW)) as ledger:
        assert ledger.entry_count() == before
    record("hostile budgets repositories refused (nothing reached the ledger)")


def test_the_corpus_holds_at_least_fifty_repositories() -> None:
    assert len(cases()) >= 50, cases()


def test_no_case_relies_on_a_file_outside_its_folder() -> None:
    for name in cases():
        if name in LARGE:
            continue
        for path in (CORPUS / name).rglob("*"):
            if path.is_symlink():
                target = Path(os.path.realpath(path))
                assert CORPUS / name in target.parents or target.parent == CORPUS / name
