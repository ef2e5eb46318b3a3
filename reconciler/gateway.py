"""The gateway mapping: the fragment the Keeptrusts gateway reads, and drift against a running one.

``fragment`` is the ``GatewayConfig`` document as the gateway expects it (``consumer_groups`` and
``cost_tracking``, no ``apiVersion``/``kind``), the shape Keeptrusts' wallet-management guide
shows. ``fetch_running`` reads a running gateway's configuration (``GET /keeptrusts/config``,
bearer token) and keeps only the mapping: each consumer group's ``wallet_team_id`` and
``cost_tracking.wallet_enforcement``; every other key of the gateway's config is not ours.
``compare`` reports the differences key by key (deepdiff does the comparing).

The answer's format is not documented by Keeptrusts: we read a JSON object with the fragment's
keys (x-inferred), a missing ``cost_tracking`` meaning ``wallet_enforcement: false`` (the
documented default) and a group without ``wallet_team_id`` paying from no team wallet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from deepdiff import DeepDiff

from reconciler import exactjson
from reconciler.errors import GatewayError
from reconciler.ledger import is_loopback
from reconciler.ledger.wire import GATEWAY_CONFIG
from reconciler.model import GatewayConfig
from reconciler.text import clip

TIMEOUT_SECONDS = 10.0

ONLY_IN_BUDGETS = "only_in_budgets"
ONLY_IN_GATEWAY = "only_in_gateway"
CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class GatewayMapping:
    """Consumer group id -> team wallet (None: the group pays from no team wallet), and the
    enforcement switch. The part of a gateway config that reconciler manages."""

    consumer_groups: dict[str, str | None]
    wallet_enforcement: bool


@dataclass(frozen=True, slots=True)
class Difference:
    """One key that differs: ``consumer_groups[engineering].wallet_team_id`` or
    ``cost_tracking.wallet_enforcement``, or a whole ``consumer_groups[id]`` on one side only
    (its value is then the group's ``wallet_team_id``)."""

    key: str
    kind: str  # CHANGED | ONLY_IN_BUDGETS | ONLY_IN_GATEWAY
    budgets: str | bool | None
    gateway: str | bool | None


def fragment(config: GatewayConfig) -> dict[str, Any]:
    """The gateway fragment of ``config``, keys and groups in the order they are written."""
    return {
        "consumer_groups": [
            {"id": group.id, "wallet_team_id": group.wallet_team_id}
            for group in config.consumer_groups
        ],
        "cost_tracking": {"wallet_enforcement": config.wallet_enforcement},
    }


def mapping_of(config: GatewayConfig) -> GatewayMapping:
    groups: dict[str, str | None] = {g.id: g.wallet_team_id for g in config.consumer_groups}
    return GatewayMapping(groups, config.wallet_enforcement)


def compare(budgets: GatewayMapping, running: GatewayMapping) -> tuple[Difference, ...]:
    """Every key where the running gateway differs from the budgets, sorted by key."""
    tree = DeepDiff(_comparable(budgets), _comparable(running), view="tree")
    found: list[Difference] = []
    for report, kind in (
        ("values_changed", CHANGED),
        ("type_changes", CHANGED),
        ("dictionary_item_removed", ONLY_IN_BUDGETS),
        ("dictionary_item_added", ONLY_IN_GATEWAY),
    ):
        for level in tree.get(report, ()):
            path = level.path(output_format="list")
            found.append(Difference(_key(path), kind, _value(level.t1), _value(level.t2)))
    return tuple(sorted(found, key=lambda d: d.key))


def config_url(gateway_url: str, *, insecure: bool) -> str:
    """The URL of ``GET /keeptrusts/config`` for a gateway base URL (or that URL itself).

    Plain http to a host that is not loopback is refused without ``insecure``: the bearer
    token would travel unencrypted (the same rule as the ledger's).
    """
    parts = urlsplit(gateway_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise GatewayError(
            f"--gateway-url {shown_url(gateway_url)!r} is not an http(s):// URL "
            "(e.g. https://gateway.example.com)"
        )
    if parts.scheme == "http" and not insecure and not is_loopback(parts.hostname):
        raise GatewayError(
            f"refusing plain http:// to {parts.hostname}: the token would travel unencrypted; "
            "use https:// or pass --insecure"
        )
    path = parts.path.rstrip("/")
    if not path.endswith(GATEWAY_CONFIG):
        path += GATEWAY_CONFIG
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def shown_url(url: str) -> str:
    """``url`` without user info, query or fragment: safe to print."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def fetch_running(
    gateway_url: str,
    *,
    token: str | None,
    insecure: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> GatewayMapping:
    """Read the running gateway's mapping. GatewayError (one line, never the token) when it
    cannot be reached, refuses, or answers something that is not a gateway config."""
    url = config_url(gateway_url, insecure=insecure)
    where = shown_url(url)
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with httpx.Client(timeout=TIMEOUT_SECONDS, transport=transport) as client:
            response = client.get(url, headers=headers)
    except httpx.TimeoutException as exc:
        raise GatewayError(
            f"the gateway at {where} did not answer within {TIMEOUT_SECONDS:.0f} s: "
            "check --gateway-url"
        ) from exc
    except httpx.HTTPError as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise GatewayError(
            f"cannot reach the gateway at {where} ({reason}): check --gateway-url"
        ) from exc
    status = response.status_code
    if status in (401, 403):
        raise GatewayError(
            f"the gateway at {where} refused the request (HTTP {status}): set "
            "KEEPTRUSTS_API_TOKEN to a token it accepts"
        )
    if status == 404:
        raise GatewayError(
            f"{where} answered HTTP 404: is --gateway-url the base URL of a Keeptrusts gateway?"
        )
    if not 200 <= status < 300:
        raise GatewayError(f"the gateway at {where} answered HTTP {status}: try again later")
    try:
        body = exactjson.loads(response.content)
    except (exactjson.JSONSyntaxError, UnicodeDecodeError) as exc:
        raise GatewayError(f"malformed answer from {where}: not JSON ({exc})") from exc
    return parse_running(body, where)


def parse_running(body: object, where: str) -> GatewayMapping:
    """The mapping part of a gateway config answer; GatewayError naming the bad key."""

    def bad(what: str) -> GatewayError:
        return GatewayError(f"malformed answer from {where}: {what}")

    if not isinstance(body, dict):
        raise bad("expected a JSON object with consumer_groups and cost_tracking")
    groups = body.get("consumer_groups", [])
    if not isinstance(groups, list):
        raise bad("consumer_groups is not a list")
    mapping: dict[str, str | None] = {}
    for index, group in enumerate(groups):
        group_id = group.get("id") if isinstance(group, dict) else None
        if not isinstance(group_id, str) or not group_id:
            raise bad(f"consumer_groups[{index}] has no id")
        team = group.get("wallet_team_id")
        if team is not None and not isinstance(team, str):
            raise bad(f"consumer_groups[{clip(group_id)}].wallet_team_id is not text")
        if group_id in mapping:
            raise bad(f"consumer group id {clip(group_id)!r} appears twice")
        mapping[group_id] = team
    tracking = body.get("cost_tracking", {})
    if not isinstance(tracking, dict):
        raise bad("cost_tracking is not an object")
    enforcement = tracking.get("wallet_enforcement", False)
    if not isinstance(enforcement, bool):
        raise bad("cost_tracking.wallet_enforcement is not true or false")
    return GatewayMapping(mapping, enforcement)


def _comparable(mapping: GatewayMapping) -> dict[str, Any]:
    return {
        "consumer_groups": {
            group: {"wallet_team_id": team} for group, team in mapping.consumer_groups.items()
        },
        "cost_tracking": {"wallet_enforcement": mapping.wallet_enforcement},
    }


def _key(path: list[Any]) -> str:
    if len(path) >= 2 and path[0] == "consumer_groups":
        return "".join([f"consumer_groups[{path[1]}]", *(f".{part}" for part in path[2:])])
    return ".".join(str(part) for part in path)


def _value(value: object) -> str | bool | None:
    if isinstance(value, dict):  # a whole group on one side: show where it pays
        return _value(value.get("wallet_team_id"))
    return value if isinstance(value, str | bool) else None
