"""Fixtures for the config tests: a budgets directory in tmp_path, read from tmp_path as cwd."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.config import validate_dir

ORG = """\
apiVersion: reconciler/v1
kind: Organization
id: org_test
period: monthly
headroom: 100.00
"""

TEAM_A = """\
apiVersion: reconciler/v1
kind: Team
id: team_a
envelope: 10.00
"""

GATEWAY_A = """\
apiVersion: reconciler/v1
kind: GatewayConfig
consumer_groups:
  - id: group_a
    wallet_team_id: team_a
"""

Check = Callable[..., list[str]]


@pytest.fixture
def budgets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty ``budgets`` directory; the working directory is its parent."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "budgets"
    root.mkdir()
    return root


def write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def check(budgets: Path) -> Check:
    """``check({name: text}, base=True)``: write the files (over a valid organization, team_a
    and a gateway mapping group_a to it, unless ``base=False``) and return every diagnostic."""

    def _check(files: dict[str, str], *, base: bool = True) -> list[str]:
        base_files = {"organization.yaml": ORG, "team_a.yaml": TEAM_A, "gw.yaml": GATEWAY_A}
        write_files(budgets, (base_files if base else {}) | files)
        return [str(d) for d in validate_dir(Path("budgets")).diagnostics]

    return _check
