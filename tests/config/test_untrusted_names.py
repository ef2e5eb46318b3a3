"""File names and values from a pull request reach every output escaped, and JSON stays UTF-8."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import TEAM_A, Check

BAD_NAME = b"team_\xff.yaml"
SHOWN = "budgets/team_\\udcff.yaml"


def _validate(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECONCILER_", "KEEPTRUSTS_"))}
    return subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", "budgets", *args],
        cwd=cwd,
        env=env | {"PYTHONIOENCODING": "utf-8"},
        capture_output=True,
        check=False,
    )


def test_a_file_name_that_is_not_utf8_gives_valid_utf8_json(budgets: Path, check: Check) -> None:
    check({})
    (budgets.parent / os.fsdecode(b"budgets/" + BAD_NAME)).write_bytes(
        TEAM_A.replace("team_a", "team_b").encode() + b"bogus: 1\n"
    )
    result = _validate(budgets.parent, "--format", "json")
    assert result.returncode == 1
    document = json.loads(result.stdout.decode("utf-8"))
    errors = [d for d in document["diagnostics"] if d["severity"] == "error"]
    assert errors == [
        {
            "severity": "error",
            "file": SHOWN,
            "line": 5,
            "col": 1,
            "key_path": "teams[team_b].bogus",
            "message": "unknown key 'bogus'",
        }
    ]
    github = _validate(budgets.parent, "--format", "github").stdout.decode("utf-8")
    assert f"::error file={SHOWN},line=5,col=1::teams[team_b].bogus: unknown key 'bogus'" in github
