from __future__ import annotations

from click.testing import CliRunner

from reconciler import __version__
from reconciler.cli import cli


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"reconciler, version {__version__}\n"


def test_help_documents_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "130 interrupted" in result.output
    assert "3   partial apply" in result.output


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code == 64
    assert "No such command 'no-such-command'" in result.output
