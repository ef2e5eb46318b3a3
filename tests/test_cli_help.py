"""Every ``--help`` documents the exit codes that command can return, and only those."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import COMMANDS, cli


def _exit_codes(*command: str) -> list[str]:
    result = CliRunner().invoke(cli, [*command, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    _, _, epilog = result.output.partition("Exit codes:\n")
    return re.findall(r"^\s+(\d+)\s", epilog, re.MULTILINE)


def test_the_root_help_lists_every_exit_code() -> None:
    assert _exit_codes() == ["0", "1", "2", "3", "64", "70", "130"]


def test_show_lists_only_what_rendering_a_file_can_return() -> None:
    assert _exit_codes("show") == ["0", "1", "64", "70"]


@pytest.mark.parametrize(
    "command", ["init", "credit", "allocate", "reclaim", "show", "transactions", "check"]
)
def test_every_sandbox_subcommand_lists_its_exit_codes(command: str) -> None:
    assert _exit_codes("sandbox", command) == ["0", "1", "64", "70"]


def test_sandbox_serve_lists_ctrl_c() -> None:
    assert _exit_codes("sandbox", "serve") == ["0", "1", "64", "70", "130"]


def _mentioned_commands(text: str) -> set[str]:
    """``X`` of every ``reconciler X`` written as a command: in backquotes, after ``$ `` or at
    the start of a line of a fenced code block or a YAML comment (not prose: "reconciler uses")."""
    found = set(re.findall(r"(?:`|\$ )reconciler ([a-z][a-z-]+)\b", text))
    code = "\n".join(text.split("```")[1::2])
    found |= set(re.findall(r"^[ \t#]*reconciler ([a-z][a-z-]+)\b", code, re.MULTILINE))
    return found


def _shipped() -> set[str]:
    return set(COMMANDS) | {"sandbox"}


@pytest.mark.parametrize(
    "command", [(), ("plan",), ("apply",), ("show",), ("validate",), ("sandbox",)]
)
def test_help_mentions_only_commands_that_ship(command: tuple[str, ...]) -> None:
    text = CliRunner().invoke(cli, [*command, "--help"]).output
    assert _mentioned_commands(text) - _shipped() == set()
    assert "--strict" not in text or "audit" in COMMANDS


def test_docs_and_sample_comments_mention_only_commands_that_ship() -> None:
    root = Path(__file__).resolve().parent.parent
    paths = [root / "README.md", *root.glob("docs/*.md"), *root.glob("budgets/**/*.yaml")]
    paths += list(root.glob("schemas/*.json"))
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".yaml":
            text = f"```{text}```"  # every comment line may show a command
        mentioned = _mentioned_commands(text)
        assert mentioned - _shipped() == set(), path
