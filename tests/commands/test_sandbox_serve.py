"""``sandbox serve``: options, refusals, the gateway config, and a real run in a subprocess."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.config.gateway_file import load_gateway_file
from reconciler.errors import ConfigError
from reconciler.ledger.base import Scope
from reconciler.ledger.http import HttpLedger
from reconciler.sandbox.ledger import SqliteLedger
from reconciler.sandbox.server import create_app
from tests.support.sandbox_server import serving
from tests.support.sqlite_ledger import ManualClock

GATEWAY = """\
apiVersion: reconciler/v1
kind: Team
id: team_engineering
envelope: 10.00
---
apiVersion: reconciler/v1
kind: GatewayConfig
consumer_groups:
  - id: engineering
    wallet_team_id: team_engineering
cost_tracking:
  wallet_enforcement: true
"""


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["sandbox", "serve", *args])
    return result.exit_code, result.output


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "sandbox.db"
    SqliteLedger.create(path, "org_acme").close()
    return path


def test_help_documents_the_faults_grammar_and_an_example() -> None:
    code, output = invoke("--help")
    assert code == 0
    assert "ROUTE:KIND[@N[,N..]|@N+|~P]" in output
    assert "lose (work done, then 502)" in output
    assert "Example:\n    export RECONCILER_SANDBOX_TOKEN=dev-billing\n" in output
    assert "RECONCILER_SANDBOX_READ_TOKEN" in output


def test_refuses_a_non_loopback_host_without_insecure(db: Path) -> None:
    assert invoke("--db", str(db), "--host", "0.0.0.0") == (
        1,
        "error: refusing to listen on 0.0.0.0: the sandbox speaks plain http with bearer "
        "tokens; use 127.0.0.1 or pass --insecure\n",
    )


def test_a_bad_fault_spec_is_a_usage_error(db: Path) -> None:
    code, output = invoke("--db", str(db), "--faults", "allocate:teapot")
    assert code == 64
    assert (
        "Invalid value for --faults: fault spec 'allocate:teapot': 'allocate:teapot' is not "
        "ROUTE:KIND[@N[,N..]|@N+|~P]" in output
    )


def served_gateway(config_file: Path, tmp_path: Path) -> tuple[tuple[dict[str, str], bool], Any]:
    """What the server does with ``--gateway-config FILE``: the mapping ``reserve`` then uses,
    and the body of ``GET /keeptrusts/config``."""
    config = load_gateway_file(config_file)
    with SqliteLedger.create(tmp_path / "gw.db", "org_test", clock=ManualClock()) as ledger:
        app = create_app(ledger, token=None, read_token=None, gateway_config=config)
        with serving(app) as url:
            served = httpx.get(f"{url}/keeptrusts/config").json()
        return ledger.gateway_config(), served


def test_gateway_config_from_a_budgets_file(tmp_path: Path) -> None:
    path = tmp_path / "gateway.yaml"
    path.write_text(GATEWAY, encoding="utf-8")
    fragment = {
        "consumer_groups": [{"id": "engineering", "wallet_team_id": "team_engineering"}],
        "cost_tracking": {"wallet_enforcement": True},
    }
    assert served_gateway(path, tmp_path) == (({"engineering": "team_engineering"}, True), fragment)
    path.write_text("consumer_groups:\n  - id: support\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_gateway_file(path)
    assert str(info.value) == (
        f"{path}:2:5: gateway.consumer_groups[support]: missing required key 'wallet_team_id'; "
        "name the Team whose wallet pays for this group"
    )
    path.write_text("kind: Team\nid: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no GatewayConfig document"):
        load_gateway_file(path)


def test_serves_for_real_with_tokens_from_the_environment(db: Path, tmp_path: Path) -> None:
    gateway = tmp_path / "gateway.yaml"
    gateway.write_text(GATEWAY, encoding="utf-8")
    env = {**os.environ, "RECONCILER_SANDBOX_TOKEN": "env-billing-token"}
    args = ["--db", str(db), "--port", "0", "--gateway-config", str(gateway)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "serve", *args],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.fullmatch(rf"sandbox ledger {re.escape(str(db))} serving at (\S+)\n", line)
        assert match, line
        url = match[1]
        assert httpx.get(f"{url}/v1/wallets").status_code == 401
        ledger = HttpLedger.from_url(url, token="env-billing-token", timeout=10)
        ledger.credit(50_000_000, note="seed")
        ledger.allocate("team_engineering", 20_000_000, note="eng")
        held = ledger.reserve("req-1", 5_000_000, consumer_group="engineering")
        assert held.scope is Scope.TEAM
        assert ledger.team_wallet("team_engineering").reserved == 5_000_000  # type: ignore[union-attr]
        ledger.close()
        served = httpx.get(
            f"{url}/keeptrusts/config", headers={"Authorization": "Bearer env-billing-token"}
        )
        assert served.json() == {
            "consumer_groups": [{"id": "engineering", "wallet_team_id": "team_engineering"}],
            "cost_tracking": {"wallet_enforcement": True},
        }
    finally:
        proc.terminate()
        _, rest = proc.communicate(timeout=10)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal
    assert (proc.returncode, rest) == (-signal.SIGTERM, "")


def test_without_tokens_the_server_is_open_and_says_so(db: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECONCILER_SANDBOX_")}
    args = ["--db", str(db), "--port", "0", "--faults", "wallets:503@1"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "serve", *args],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline() == "warning: no --token or --read-token: the server is open\n"
        assert proc.stderr.readline() == "injecting faults: wallets:503@1\n"
        url = proc.stderr.readline().rsplit(" ", 1)[1].strip()
        assert httpx.get(f"{url}/v1/wallets").status_code == 503
        listed = httpx.get(f"{url}/v1/wallets")
        assert (listed.status_code, listed.json()["wallets"][0]["owner_id"]) == (200, "org_acme")
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def test_gateway_config_refuses_a_non_boolean_switch(tmp_path: Path) -> None:
    path = tmp_path / "gateway.yaml"
    path.write_text(
        "consumer_groups: []\ncost_tracking:\n  wallet_enforcement: yes\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as info:
        load_gateway_file(path)
    assert str(info.value) == (
        f"{path}:3:23: gateway.cost_tracking.wallet_enforcement: 'yes' is a YAML 1.1 boolean, "
        "which YAML 1.2 tools (editors, CI) read as text; write true"
    )
    path.write_text("consumer_groups: []\n", encoding="utf-8")
    assert served_gateway(path, tmp_path) == (
        ({}, False),
        {"consumer_groups": [], "cost_tracking": {"wallet_enforcement": False}},
    )
