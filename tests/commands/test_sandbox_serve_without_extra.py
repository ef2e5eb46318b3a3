"""``sandbox serve`` without the ``sandbox`` extra says exactly what to install."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from reconciler.sandbox.ledger import SqliteLedger

# Python refuses to import a module whose sys.modules entry is None: the extra is "not installed".
WITHOUT_EXTRA = (
    "import sys; sys.modules['starlette'] = None; sys.modules['uvicorn'] = None; "
    "from reconciler.cli import cli; cli.main(sys.argv[1:], prog_name='reconciler')"
)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECONCILER_", "KEEPTRUSTS_"))}
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRA, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_serve_without_the_extra_is_one_line_and_exit_1(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    SqliteLedger.create(db, "org_acme").close()
    result = _run("sandbox", "serve", "--db", str(db), "--port", "0")
    assert (result.returncode, result.stderr, result.stdout) == (
        1,
        "error: sandbox serve needs the sandbox extra (starlette and uvicorn): "
        "pip install 'reconciler[sandbox]'\n",
        "",
    )


def test_the_other_sandbox_commands_and_serve_help_work_without_it(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert _run("sandbox", "init", "--db", str(db), "--org", "org_acme").returncode == 0
    assert _run("sandbox", "show", "--db", str(db)).returncode == 0
    help_text = _run("sandbox", "serve", "--help")
    assert help_text.returncode == 0
    assert "Serve the sandbox ledger" in help_text.stdout
