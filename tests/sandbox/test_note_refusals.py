"""QA-a #3 and #9: a refused note says what is wrong with it; text that is not UTF-8 is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.served import Served, envelope


@pytest.mark.parametrize(
    ("note", "message"),
    [
        (
            "\\ud800",
            "note must be valid UTF-8 text: character 1 is U+D800, half of a surrogate pair",
        ),
        (
            "ok\\udfff",
            "note must be valid UTF-8 text: character 3 is U+DFFF, half of a surrogate pair",
        ),
        (
            "a\\nb",
            "note must be one line without control characters: character 2 is U+000A (a control "
            "character)",
        ),
        (
            "a\\u2028b",
            "note must be one line without control characters: character 2 is U+2028 (a line or "
            "paragraph separator)",
        ),
        (
            "\\u202eevil",
            "note must be one line without control characters: character 1 is U+202E (an "
            "invisible format character (bidi control or zero-width))",
        ),
        ("x" * 300, "note is 300 characters long; the limit is 255"),
    ],
)
def test_the_server_refuses_a_bad_note_with_a_422_saying_why(
    served: Served, note: str, message: str
) -> None:
    response = served.post(
        "/v1/wallets/allocate", f'{{"team_id":"team_x","amount":1,"note":"{note}"}}'
    )
    assert envelope(response) == (422, "validation_error", message)
    assert served.entries() == 1


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("\udcff", "note must be valid UTF-8 text: character 1 is the undecodable byte 0xFF"),
        (
            "line1\nline2",
            "note must be one line without control characters: character 6 is U+000A (a control "
            "character)",
        ),
        (
            "tab\there",
            "note must be one line without control characters: character 4 is U+0009 (a control "
            "character)",
        ),
        (
            "row\x85forged",
            "note must be one line without control characters: character 4 is U+0085 (a control "
            "character)",
        ),
        (
            "zero\u200bwidth",
            "note must be one line without control characters: character 5 is U+200B (an "
            "invisible format character (bidi control or zero-width))",
        ),
        ("y" * 256, "note is 256 characters long; the limit is 255"),
    ],
)
def test_the_sandbox_cli_refuses_a_bad_note_with_exit_1_saying_why(
    tmp_path: Path, note: str, message: str
) -> None:
    db = tmp_path / "a.db"
    with SqliteLedger.create(db, "org_acme") as ledger:
        ledger.credit(100_000_000, note="seed")
    result = CliRunner().invoke(
        cli, ["sandbox", "allocate", "--db", str(db), "--team", "team_a", "1", "--note", note]
    )
    assert result.exit_code == 1, result.output
    assert result.stderr == f"error: {message}\n"
    with SqliteLedger(db) as ledger:
        assert ledger.entry_count() == 1
