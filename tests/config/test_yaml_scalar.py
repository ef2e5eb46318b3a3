"""``config.writer.yaml_scalar``: text written so that every YAML reader reads it back as is
(used by ``gateway render`` and ``import``)."""

from __future__ import annotations

import pytest
import yaml

from reconciler.config.writer import yaml_scalar


@pytest.mark.parametrize(
    "text", ["true", "yes", "null", "123", "1e3", "1:30", "0x1F", "a b", "x\u2028y", "O'Brien: #1"]
)
def test_ids_any_yaml_reader_would_misread_are_quoted(text: str) -> None:
    written = yaml_scalar(text)
    assert written.startswith('"')
    assert yaml.safe_load(f"key: {written}") == {"key": text}


def test_plain_ids_stay_plain() -> None:
    assert yaml_scalar("team_data-platform.eu") == "team_data-platform.eu"
