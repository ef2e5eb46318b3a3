"""``suggest --write``'s writer: only the envelope scalars change, everything else is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config.writer import rewrite_envelopes, write_envelopes
from reconciler.errors import ConfigError

D = 1_000_000

MULTI = """\
# yaml-language-server: $schema=../schemas/team.json
apiVersion: reconciler/v1
kind: Team
id: team_a          # the first team
name: "A"
envelope: 12000.00  # per month
envelope_max: 20000.00
---
# the second team, quoted and grouped
apiVersion: reconciler/v1
kind: Team
id: team_b
envelope: '1_500.00'   # quoted
---
{apiVersion: reconciler/v1, kind: Team, id: team_c, envelope: 12_000.00}
"""


def test_only_the_envelope_values_change_comments_and_style_are_kept() -> None:
    out = rewrite_envelopes(
        MULTI, "t.yaml", {"team_a": 9_500 * D, "team_b": 2_000_500_000, "team_c": 14_000 * D}
    )
    expected = (
        MULTI.replace("envelope: 12000.00  # per month", "envelope: 9500.00  # per month")
        .replace("envelope: '1_500.00'", "envelope: '2_000.50'")
        .replace("envelope: 12_000.00}", "envelope: 14_000.00}")
    )
    assert out == expected
    assert out.count("\n") == MULTI.count("\n")


def test_a_team_not_in_the_file_or_an_unsafe_form_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no Team document with id team_x"):
        rewrite_envelopes(MULTI, "t.yaml", {"team_x": D})
    folded = "apiVersion: reconciler/v1\nkind: Team\nid: team_a\nenvelope: >-\n  12000.00\n"
    with pytest.raises(ConfigError, match="cannot edit safely"):
        rewrite_envelopes(folded, "f.yaml", {"team_a": D})


def test_write_renames_over_the_file_and_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(MULTI, encoding="utf-8")
    path.chmod(0o640)
    assert write_envelopes({path: {"team_a": 9_500 * D}}) == [path]
    assert "envelope: 9500.00  # per month" in path.read_text(encoding="utf-8")
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["t.yaml"]  # no temporary file left
    assert write_envelopes({path: {"team_a": 9_500 * D}}) == []  # unchanged: not rewritten
