"""``reconciler gateway diff`` against the real sandbox server serving ``--gateway-config``."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.gateway.conftest import MAPPING, ServeGateway, run
from tests.support.budgets import dump_documents, gateway_doc
from tests.support.sandbox_server import BILLING_TOKEN, READ_TOKEN, serving

TOKEN = {"KEEPTRUSTS_API_TOKEN": READ_TOKEN}


def gateway_file(tmp_path: Path, mapping: dict[str, str], enforcement: bool = True) -> Path:
    path = tmp_path / "running-gateway.yaml"
    path.write_text(dump_documents(gateway_doc(mapping, wallet_enforcement=enforcement)))
    return path


def test_in_sync_is_exit_0_and_says_so(
    budgets: Path, tmp_path: Path, serve_gateway: ServeGateway
) -> None:
    with serve_gateway(gateway_file(tmp_path, MAPPING)) as url:
        args = ["gateway", "diff", str(budgets), "--gateway-url", url, "--detailed-exitcode"]
        assert run(*args, env=TOKEN) == (
            0,
            f"gateway {url}/keeptrusts/config matches the budgets (2 consumer groups, "
            "wallet_enforcement true)\n",
            "",
        )


def test_drift_is_reported_key_by_key(
    budgets: Path, tmp_path: Path, serve_gateway: ServeGateway
) -> None:
    running = {"engineering": "team_platform", "legacy": "team_old"}
    with serve_gateway(gateway_file(tmp_path, running, enforcement=False)) as url:
        args = ["gateway", "diff", str(budgets), "--gateway-url", url]
        detailed = run(*args, "--detailed-exitcode", env=TOKEN)
        plain = run(*args, env=TOKEN)
    expected = (
        f"gateway {url}/keeptrusts/config differs from the budgets in 4 keys:\n"
        "  consumer_groups[engineering].wallet_team_id: budgets team_engineering, "
        "gateway team_platform\n"
        "  consumer_groups[legacy]: only in the gateway (wallet_team_id team_old)\n"
        "  consumer_groups[support]: only in the budgets (wallet_team_id team_support)\n"
        "  cost_tracking.wallet_enforcement: budgets true, gateway false\n"
        "Deploy `reconciler gateway render` output to the gateway, or change the budgets.\n"
    )
    assert detailed == (2, expected, "")
    assert plain == (0, expected, "")


def test_json_lists_every_difference(
    budgets: Path, tmp_path: Path, serve_gateway: ServeGateway
) -> None:
    running = {"engineering": "team_engineering"}
    with serve_gateway(gateway_file(tmp_path, running)) as url:
        code, out, _ = run(
            "gateway", "diff", str(budgets), "--gateway-url", url, "--format", "json", env=TOKEN
        )
    assert code == 0
    assert json.loads(out) == {
        "format_version": 1,
        "gateway": f"{url}/keeptrusts/config",
        "in_sync": False,
        "differences": [
            {
                "key": "consumer_groups[support]",
                "kind": "only_in_budgets",
                "budgets": "team_support",
                "gateway": None,
            }
        ],
    }


def test_the_rendered_fragment_served_as_is_is_in_sync(
    budgets: Path, tmp_path: Path, serve_gateway: ServeGateway
) -> None:
    _, fragment, _ = run("gateway", "render", str(budgets))
    path = tmp_path / "fragment.yaml"
    path.write_text(fragment, encoding="utf-8")
    with serve_gateway(path) as url:
        served = httpx.get(
            f"{url}/keeptrusts/config", headers={"Authorization": f"Bearer {READ_TOKEN}"}
        )
        code, _, _ = run(
            "gateway", "diff", str(budgets), "--gateway-url", url, "--detailed-exitcode", env=TOKEN
        )
    assert served.json() == json.loads(
        run("gateway", "render", str(budgets), "--format", "json")[1]
    )
    assert code == 0


def test_without_the_token_the_gateway_refuses_and_no_token_is_printed(
    budgets: Path, tmp_path: Path, serve_gateway: ServeGateway
) -> None:
    with serve_gateway(gateway_file(tmp_path, MAPPING)) as url:
        refused = run("gateway", "diff", str(budgets), "--gateway-url", url)
        wrong = run(
            "gateway", "diff", str(budgets), "--gateway-url", url,
            env={"KEEPTRUSTS_API_TOKEN": "kt_live_wrong"},
        )  # fmt: skip
    message = (
        f"error: the gateway at {url}/keeptrusts/config refused the request (HTTP 401): "
        "set KEEPTRUSTS_API_TOKEN to a token it accepts\n"
    )
    assert refused == (1, "", message)
    assert wrong == (1, "", message)
    assert BILLING_TOKEN not in refused[2]
    assert "kt_live_wrong" not in wrong[2]


def test_an_unreachable_gateway_is_one_line_and_exit_1(budgets: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, out, err = run(
        "gateway", "diff", str(budgets), "--gateway-url", f"http://127.0.0.1:{port}"
    )
    assert (code, out) == (1, "")
    assert err.startswith(f"error: cannot reach the gateway at http://127.0.0.1:{port}/keeptrusts")
    assert err.endswith("check --gateway-url\n")
    assert err.count("\n") == 1


def test_plain_http_to_a_remote_gateway_is_refused_before_connecting(budgets: Path) -> None:
    code, _, err = run(
        "gateway", "diff", str(budgets), "--gateway-url", "http://gateway.example.com"
    )
    assert (code, err) == (
        1,
        "error: refusing plain http:// to gateway.example.com: the token would travel "
        "unencrypted; use https:// or pass --insecure\n",
    )


def _answering(body: bytes, status: int = 200) -> Starlette:
    async def config(request: Request) -> Response:
        return Response(body, status, media_type="application/json")

    return Starlette(routes=[Route("/keeptrusts/config", config)])


def test_a_malformed_answer_is_one_line_naming_the_problem(budgets: Path) -> None:
    cases = {
        b"<html>oops</html>": "not JSON",
        b'["engineering"]': "expected a JSON object with consumer_groups and cost_tracking",
        b'{"consumer_groups": {"id": "x"}}': "consumer_groups is not a list",
        b'{"consumer_groups": [{"wallet_team_id": "t"}]}': "consumer_groups[0] has no id",
        b'{"consumer_groups": [{"id": "a"}, {"id": "a"}]}': "consumer group id 'a' appears twice",
        b'{"cost_tracking": {"wallet_enforcement": "yes"}}': (
            "cost_tracking.wallet_enforcement is not true or false"
        ),
    }
    for body, problem in cases.items():
        with serving(_answering(body)) as url:
            code, out, err = run("gateway", "diff", str(budgets), "--gateway-url", url)
        assert (code, out) == (1, ""), body
        assert err.startswith(f"error: malformed answer from {url}/keeptrusts/config: {problem}")
        assert err.count("\n") == 1


def test_a_server_error_and_a_missing_route_are_explained(budgets: Path) -> None:
    with serving(_answering(b"{}", status=503)) as url:
        assert run("gateway", "diff", str(budgets), "--gateway-url", url)[2] == (
            f"error: the gateway at {url}/keeptrusts/config answered HTTP 503: try again later\n"
        )
        missing = run("gateway", "diff", str(budgets), "--gateway-url", f"{url}/elsewhere")
    assert missing[2] == (
        f"error: {url}/elsewhere/keeptrusts/config answered HTTP 404: is --gateway-url the "
        "base URL of a Keeptrusts gateway?\n"
    )


def test_a_gateway_without_cost_tracking_has_enforcement_off(budgets: Path) -> None:
    body = json.dumps(
        {"consumer_groups": [{"id": k, "wallet_team_id": v} for k, v in MAPPING.items()]}
    )
    with serving(_answering(body.encode())) as url:
        code, out, _ = run("gateway", "diff", str(budgets), "--gateway-url", url)
    assert code == 0
    assert "cost_tracking.wallet_enforcement: budgets true, gateway false" in out
