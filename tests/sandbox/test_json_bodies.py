"""QA-a #2, #12: JSON the parser refuses is a 422 (server) or exit 1 (plan files), not 500/70."""

from __future__ import annotations

from tests.support.served import Served, envelope
from tests.support.workspace import Workspace

LONG = "1" * 4301


def test_an_integer_over_the_digit_limit_is_a_422(served: Served) -> None:
    body = f'{{"team_id":"team_x","amount":{LONG}}}'
    response = served.post("/v1/wallets/allocate", body)
    assert envelope(response) == (
        422,
        "validation_error",
        "the number 111111111\u2026111111111 has 4301 digits; at most 4300 are allowed",
    )
    assert served.entries() == 1


def test_a_duplicate_key_is_a_422_naming_it(served: Served) -> None:
    body = '{"team_id":"team_y","team_id":"team_z","amount":1}'
    response = served.post("/v1/wallets/allocate", body)
    assert envelope(response) == (
        422,
        "validation_error",
        "duplicate key 'team_id' in a JSON object",
    )
    assert served.entries() == 1


def test_a_plan_file_with_a_huge_integer_is_exit_1_naming_the_file(workspace: Workspace) -> None:
    made = workspace.invoke("plan", "--out", "plan.json")
    assert made.exit_code == 0, made.output
    path = workspace.repo.root / "plan.json"
    document = path.read_text(encoding="utf-8")
    assert '"format_version": 1' in document
    path.write_text(document.replace('"format_version": 1', f'"format_version": {"9" * 5000}'))
    expected = (
        "error: plan.json: not a JSON plan document (the number 999999999\u2026999999999 has "
        "5000 digits; at most 4300 are allowed): write one with `reconciler plan --out FILE`"
    )
    for args in (("show", "plan.json"), ("apply", "plan.json", "--auto-approve")):
        result = workspace.invoke(*args)
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.splitlines() == [expected]
    assert workspace.team_notes("team_eng") == []
