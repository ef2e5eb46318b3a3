"""One file's GatewayConfig (``sandbox serve --gateway-config``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config.gateway_file import load_gateway_file
from reconciler.errors import ConfigError
from tests.support.budgets import dump_documents, organization_doc


def test_a_consumer_group_id_used_twice_names_both_places(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(
        "consumer_groups:\n  - id: a\n    wallet_team_id: t\n  - id: a\n    wallet_team_id: u\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_gateway_file(path)
    assert str(info.value) == (
        f"{path}:2:9: gateway.consumer_groups[a].id: consumer group id 'a' is declared 2 times "
        f"({path}:2:9, {path}:4:9); use each id once (and 1 more error)"
    )


def test_other_documents_in_the_file_are_ignored_and_teams_need_not_be_declared(
    tmp_path: Path,
) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(
        dump_documents(organization_doc())
        + "---\napiVersion: reconciler/v1\nkind: GatewayConfig\nconsumer_groups:\n"
        "  - id: eng\n    wallet_team_id: team_elsewhere\n",
        encoding="utf-8",
    )
    config = load_gateway_file(path)
    assert [(g.id, g.wallet_team_id) for g in config.consumer_groups] == [("eng", "team_elsewhere")]
    assert config.wallet_enforcement is False
