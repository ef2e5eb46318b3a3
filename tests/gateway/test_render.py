"""``reconciler gateway render``: the fragment exactly as the gateway reads it."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from reconciler.config.gateway_file import load_gateway_file
from tests.gateway.conftest import run
from tests.support.budgets import gateway_doc, team_doc, write_budgets

FRAGMENT = """\
consumer_groups:
  - id: engineering
    wallet_team_id: team_engineering
  - id: support
    wallet_team_id: team_support
cost_tracking:
  wallet_enforcement: true
"""


def test_prints_consumer_groups_and_cost_tracking_without_api_version_or_kind(
    budgets: Path,
) -> None:
    assert run("gateway", "render", str(budgets)) == (0, FRAGMENT, "")


def test_json_has_the_same_keys_in_the_same_order(budgets: Path) -> None:
    code, out, _ = run("gateway", "render", str(budgets), "--format", "json")
    assert code == 0
    assert json.loads(out) == yaml.safe_load(FRAGMENT)
    assert list(json.loads(out)) == ["consumer_groups", "cost_tracking"]


def test_the_rendered_fragment_loads_back_to_the_same_mapping(
    budgets: Path, tmp_path: Path
) -> None:
    _, out, _ = run("gateway", "render", str(budgets))
    path = tmp_path / "fragment.yaml"
    path.write_text(out, encoding="utf-8")
    loaded = load_gateway_file(path)
    assert [(g.id, g.wallet_team_id) for g in loaded.consumer_groups] == [
        ("engineering", "team_engineering"),
        ("support", "team_support"),
    ]
    assert loaded.wallet_enforcement is True


def test_no_consumer_groups_and_enforcement_off_are_written_out(tmp_path: Path) -> None:
    root = write_budgets(
        tmp_path / "b",
        teams=[team_doc("team_a")],
        gateway=gateway_doc({}, wallet_enforcement=False),
    )
    code, out, err = run("gateway", "render", str(root))
    assert (code, out) == (0, "consumer_groups: []\ncost_tracking:\n  wallet_enforcement: false\n")
    assert "no consumer group maps to this team" in err  # validation warnings go to stderr


def test_a_budgets_directory_without_a_gateway_config_is_an_error(tmp_path: Path) -> None:
    root = write_budgets(tmp_path / "b", teams=[team_doc("team_a")], gateway=None)
    code, out, err = run("gateway", "render", str(root))
    assert (code, out) == (1, "")
    assert err.endswith(
        f"error: {root} has no GatewayConfig document: add one with kind: GatewayConfig "
        "(consumer_groups and cost_tracking)\n"
    )


def test_invalid_budgets_are_refused_before_rendering(budgets: Path) -> None:
    (budgets / "gateway.yaml").write_text(
        (budgets / "gateway.yaml").read_text().replace("team_support", "team_suport"),
        encoding="utf-8",
    )
    code, out, err = run("gateway", "render", str(budgets))
    assert (code, out) == (1, "")
    assert "'team_suport' names no declared Team" in err


def test_the_gateway_group_lists_render_and_diff() -> None:
    code, out, _ = run("gateway", "--help")
    assert code == 0
    listed = [line.split()[0] for line in out.split("Commands:")[1].strip().splitlines()]
    assert listed == ["diff", "render"]
