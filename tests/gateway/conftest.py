"""Fixtures: a budgets directory with a gateway mapping, and a real sandbox server on loopback
that serves a GatewayConfig file at ``GET /keeptrusts/config``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.config.gateway_file import load_gateway_file
from reconciler.sandbox.ledger import SqliteLedger
from reconciler.sandbox.server import create_app
from tests.support.budgets import gateway_doc, team_doc, write_budgets
from tests.support.sandbox_server import BILLING_TOKEN, READ_TOKEN, serving
from tests.support.sqlite_ledger import ManualClock

MAPPING = {"engineering": "team_engineering", "support": "team_support"}

ServeGateway = Callable[[Path], AbstractContextManager[str]]


@pytest.fixture
def budgets(tmp_path: Path) -> Path:
    teams = [team_doc("team_engineering"), team_doc("team_support")]
    return write_budgets(tmp_path / "budgets", teams=teams, gateway=gateway_doc(MAPPING))


@pytest.fixture
def serve_gateway(tmp_path: Path) -> Iterator[ServeGateway]:
    """``with serve_gateway(file) as url``: the sandbox server with ``--gateway-config file``."""
    ledger = SqliteLedger.create(tmp_path / "sandbox.db", "org_test", clock=ManualClock())

    @contextmanager
    def serve(config: Path) -> Iterator[str]:
        mapping = load_gateway_file(config)
        app = create_app(ledger, token=BILLING_TOKEN, read_token=READ_TOKEN, gateway_config=mapping)
        with serving(app) as url:
            yield url

    try:
        yield serve
    finally:
        ledger.close()


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """The real CLI: exit code, stdout, stderr."""
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr
