"""QA-a #17 and #18: ``sandbox serve`` refuses an empty token; Ctrl-C stops it in one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox.ledger import SqliteLedger

EMPTY = (
    "Error: Invalid value for {option}: the token is empty (from {option} or {variable}): "
    "give a token, or unset both to serve an open sandbox"
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "sandbox.db"
    SqliteLedger.create(path, "org_acme").close()
    return path


@pytest.mark.parametrize(
    ("args", "env", "option", "variable"),
    [
        (["--token", ""], {}, "--token", "RECONCILER_SANDBOX_TOKEN"),
        (["--token", "  "], {}, "--token", "RECONCILER_SANDBOX_TOKEN"),
        ([], {"RECONCILER_SANDBOX_TOKEN": ""}, "--token", "RECONCILER_SANDBOX_TOKEN"),
        (["--read-token", ""], {}, "--read-token", "RECONCILER_SANDBOX_READ_TOKEN"),
    ],
)
def test_an_empty_token_is_a_usage_error(
    db: Path, args: list[str], env: dict[str, str], option: str, variable: str
) -> None:
    # A subprocess with a timeout: were the token accepted, the server would run forever.
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RECONCILER_SANDBOX_")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "reconciler",
            "sandbox",
            "serve",
            "--db",
            str(db),
            "--port",
            "0",
            *args,
        ],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert result.returncode == 64
    assert result.stderr.splitlines()[-1] == EMPTY.format(option=option, variable=variable)


@pytest.mark.parametrize("sigint_ignored", [False, True])
def test_ctrl_c_with_a_request_in_flight_is_one_line_and_exit_130(
    db: Path, sigint_ignored: bool
) -> None:
    env = {**os.environ, "RECONCILER_SANDBOX_TOKEN": "billtok"}
    args = ["--db", str(db), "--port", "0", "--faults", "wallets:latency=20000"]
    command = [sys.executable, "-m", "reconciler", "sandbox", "serve", *args]
    if sigint_ignored:  # a background job of a script starts with SIGINT ignored
        command = ["sh", "-c", 'trap "" INT; exec "$@"', "sh", *command]
    proc = subprocess.Popen(
        command,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    lines = [proc.stderr.readline(), proc.stderr.readline()]
    url = lines[-1].rsplit(" ", 1)[1].strip()
    answers: list[object] = []

    def slow_read() -> None:
        try:
            answers.append(
                httpx.get(
                    f"{url}/v1/wallets", headers={"Authorization": "Bearer billtok"}, timeout=30
                ).status_code
            )
        except httpx.HTTPError as exc:
            answers.append(type(exc).__name__)

    reader = threading.Thread(target=slow_read)
    reader.start()
    # The slow read is sent before a quick one on another route; once the quick one is answered,
    # the server's event loop has taken in both, so the slow read is sleeping in the server.
    time.sleep(0.2)
    quick = httpx.get(
        f"{url}/v1/wallets/balance",
        params={"team_id": "team_none"},
        headers={"Authorization": "Bearer billtok"},
        timeout=20,
    )
    assert quick.status_code < 500
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=20)
    reader.join(timeout=20)
    assert lines[0] == "injecting faults: wallets:latency=20000\n"
    assert proc.returncode == 130
    assert rest == "sandbox server stopped; 1 request in flight cancelled\n"
    assert answers
    assert answers[0] != 200
