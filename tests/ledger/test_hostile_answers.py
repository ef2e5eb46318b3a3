"""A ledger that answers badly (malformed JSON, over-precise numbers, oversized pages, cursors
that loop, a wallet list that hides a team) is refused with one line: exit 1, no traceback, and
never a write. The server here is a small hostile app on 127.0.0.1, not the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.cli import cli
from tests.support.budgets import organization_doc, team_doc, write_budgets
from tests.support.git_repo import GitRepo
from tests.support.proof import record
from tests.support.sandbox_server import serving

ORG = {
    "id": "w_org",
    "scope": "organization",
    "owner_id": "org_acme",
    "name": "org_acme",
    "currency": "USD",
    "balance": 10000,
    "reserved": 0,
    "available": 10000,
    "total_allocated": 0,
    "total_spent": 0,
    "status": "Healthy",
}
TEAM = {**ORG, "id": "w_eng", "scope": "team", "owner_id": "team_eng", "name": "team_eng"}
ENTRY = {
    "id": "tx_1",
    "wallet_id": "w_eng",
    "type": "allocation_in",
    "amount": 100,
    "balance_after": 100,
    "note": "console",
    "actor": "carol",
    "created_at": "2026-11-02T09:00:00Z",
}


@contextmanager
def hostile(kind: str) -> Iterator[tuple[str, list[str]]]:
    writes: list[str] = []
    lists: list[int] = []

    async def wallets(request: Request) -> Response:
        lists.append(1)
        hides = kind == "hides-a-team" or (kind == "created-meanwhile" and len(lists) == 1)
        listed = [ORG] if hides else [ORG, TEAM]
        if kind == "malformed-json":
            return Response(b'{"wallets": [', media_type="application/json")
        if kind == "over-precise":
            return JSONResponse({"wallets": [{**ORG, "balance": 0.0000001}]})
        return JSONResponse({"wallets": listed})

    async def balance(request: Request) -> Response:
        return JSONResponse({"cascade": [TEAM, ORG]})

    async def transactions(request: Request) -> Response:
        limit = int(request.query_params.get("limit", "100"))
        if kind == "oversized-page":
            return JSONResponse({"transactions": [ENTRY] * (limit + 1), "next_cursor": None})
        if kind == "looping-cursor":
            return JSONResponse({"transactions": [ENTRY], "next_cursor": "again"})
        return JSONResponse({"transactions": [ENTRY], "next_cursor": None})

    async def write(request: Request) -> Response:
        writes.append(request.url.path)
        return JSONResponse({"error": {"type": "x", "code": "x", "message": "no"}}, 500)

    app = Starlette(
        routes=[
            Route("/v1/wallets", wallets),
            Route("/v1/wallets/balance", balance),
            Route("/v1/wallets/{wallet_id}/transactions", transactions),
            Route("/v1/wallets/allocate", write, methods=["POST"]),
            Route("/v1/wallets/reclaim", write, methods=["POST"]),
        ]
    )
    with serving(app) as url:
        yield url, writes


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git = GitRepo.init(tmp_path / "repo")
    write_budgets(
        git.root / "budgets",
        organization=organization_doc("org_acme", headroom="100.00"),
        teams=[team_doc("team_eng", "500.00")],
    )
    git.commit("budgets", when=datetime(2026, 11, 1, tzinfo=UTC))
    monkeypatch.chdir(git.root)
    monkeypatch.setenv("RECONCILER_NOW", "2026-11-15T12:00:00Z")
    return git.root


EXPECTED: dict[str, Any] = {
    "malformed-json": "not valid JSON",
    "over-precise": "more than 6 decimal places",
    "oversized-page": "answered 501 entries for limit 500",
    "looping-cursor": "in a loop (cursor again came back)",
    "hides-a-team": "lists no wallet for team_eng, but its balance cascade shows one",
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_a_hostile_ledger_answer_is_refused_in_one_line_and_nothing_is_written(
    repo: Path, kind: str
) -> None:
    with hostile(kind) as (url, writes):
        for command in (["plan"], ["apply", "--auto-approve"]):
            result = CliRunner().invoke(cli, [*command, "budgets", "--ledger", url])
            assert result.exit_code == 1, result.output
            (line,) = result.stderr.splitlines()
            assert line.startswith("error: ")
            assert EXPECTED[kind] in line
    assert writes == []
    record("hostile ledger answers refused without a write")


def test_a_wallet_another_run_created_between_two_reads_is_not_mistaken_for_a_hidden_one(
    repo: Path,
) -> None:
    """The first wallet list misses team_eng (another apply created it a moment later), the
    cascade shows it: the list read once more shows it too, so the plan goes on."""
    with hostile("created-meanwhile") as (url, writes):
        result = CliRunner().invoke(cli, ["plan", "budgets", "--ledger", url])
    assert result.exit_code == 0, result.output
    assert writes == []
