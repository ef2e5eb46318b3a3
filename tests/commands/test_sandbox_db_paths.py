"""QA-a #5, #16, #19: an empty file is no ledger yet; --db refuses URLs; a directory is named."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.workspace import Workspace


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_init_on_an_empty_file_creates_the_ledger_and_credits_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("e2.db").touch()
    assert invoke("sandbox", "init", "--db", "e2.db", "--org", "org_e", "--credit", "5") == (
        0,
        "created sandbox ledger e2.db for org_e: organization wallet balance 5.00\n",
        "",
    )
    with SqliteLedger("e2.db") as ledger:
        assert ledger.organization_wallet().balance == 5_000_000
        assert ledger.check() == []
    again = invoke("sandbox", "init", "--db", "e2.db", "--org", "org_e", "--credit", "5")
    assert again[0] == 0
    assert (
        again[1]
        == "sandbox ledger already exists at e2.db for org_e: organization wallet balance 5.00\n"
    )


@pytest.mark.parametrize(
    ("value", "meant"),
    [
        ("sqlite:///x.db", "; for sqlite:///x.db pass --db x.db"),
        ("sqlite:////tmp/abs.db", "; for sqlite:////tmp/abs.db pass --db /tmp/abs.db"),
        ("http://127.0.0.1:8080", ""),
    ],
)
@pytest.mark.parametrize(
    "command",
    [("init", "--org", "o"), ("show",), ("credit", "5"), ("serve", "--port", "0")],
)
def test_db_refuses_a_url_and_says_which_path_it_means(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    value: str,
    meant: str,
    command: tuple[str, ...],
) -> None:
    monkeypatch.chdir(tmp_path)
    code, stdout, stderr = invoke("sandbox", command[0], "--db", value, *command[1:])
    assert (code, stdout) == (64, "")
    assert stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--db': --db takes a file path, not a URL (URLs go to "
        f"--ledger){meant}"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_ledger_url_naming_a_directory_says_so(workspace: Workspace) -> None:
    folder = workspace.repo.root / "dirdb"
    folder.mkdir()
    result = workspace.invoke("plan", "--ledger", f"sqlite:///{folder}")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {folder} is a directory, not a sandbox ledger file: point at the .db file"
    ]
