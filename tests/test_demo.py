"""`make demo` end to end: the Makefile recipe itself, in a fresh repository, with this venv."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler import notes
from tests.support.git_repo import GitRepo

VENV = Path(sys.executable).parent.parent


def run_demo(root: Path) -> subprocess.CompletedProcess[str]:
    stamp = VENV / ".installed"
    return subprocess.run(
        ["make", "--no-print-directory", "-o", str(stamp), "demo", f"VENV={VENV}"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k != "RECONCILER_NOW"},
        check=False,
    )


@pytest.fixture
def clone(tmp_path: Path, repo_root: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "clone")
    shutil.copy(repo_root / "Makefile", repo.root / "Makefile")
    shutil.copy(repo_root / ".gitignore", repo.root / ".gitignore")
    shutil.copytree(repo_root / "budgets", repo.root / "budgets")
    repo.commit("sample budgets", when=datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
    return repo


@pytest.mark.slow
def test_make_demo_runs_end_to_end_twice_and_with_local_changes(clone: GitRepo) -> None:
    assert (VENV / "bin" / "reconciler").exists(), f"run the tests from the project venv ({VENV})"
    head = clone.head()
    for _ in range(2):  # a second run starts from a fresh ledger again
        result = run_demo(clone.root)
        assert result.returncode == 0, result.stdout + result.stderr
        out = result.stdout
        assert "Traceback" not in out + result.stderr
        assert "Applied 6 movements (allocated 41,000.00, reclaimed 0.00) at commit " in out
        assert out.count("No changes. The ledger matches the budgets.") == 1
        assert "--allow-dirty" not in out.split("==> 5.")[0].split("==> 4.")[1]
        (note_line,) = [line for line in out.splitlines() if "reconciler/v1 commit=" in line]
        note = notes.parse_note(note_line[note_line.index("reconciler/v1") :])
        assert note is not None
        assert (note.commit, note.team_id, note.dirty) == (head, "team_engineering", False)

    team_file = clone.root / "budgets" / "teams" / "engineering.yaml"
    text = team_file.read_text(encoding="utf-8")
    team_file.write_text(text.replace("envelope: 12000.00", "envelope: 12500.00"), "utf-8")
    result = run_demo(clone.root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "note: budgets/ has local changes: applying with --allow-dirty (the notes will say dirty)"
        in result.stdout
    )
    assert "allocated 41,500.00" in result.stdout
    (note_line,) = [line for line in result.stdout.splitlines() if "reconciler/v1" in line]
    dirty = notes.parse_note(note_line[note_line.index("reconciler/v1") :].rstrip())
    assert dirty is not None
    assert dirty.dirty
