"""``usage --html``: a self-contained page whose charts really render (headless Chromium)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from tests.usage.test_usage import NOW, budgets, ledger_with_spend


def write_report(tmp_path: Path) -> Path:
    root, db = budgets(tmp_path), ledger_with_spend(tmp_path)
    page = tmp_path / "report" / "usage.html"
    result = CliRunner().invoke(
        cli,
        ["usage", str(root), "--ledger", f"sqlite:///{db}", "--html", str(page)],
        env={"RECONCILER_NOW": NOW},
        prog_name="reconciler",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"Wrote the usage report to {page}\n"
    return page


def test_the_page_is_self_contained_with_two_charts(tmp_path: Path) -> None:
    text = write_report(tmp_path).read_text(encoding="utf-8")
    assert text.count('src="data:image/png;base64,') == 2
    assert "http://" not in text
    assert "https://" not in text
    assert "<td>team_a</td>" in text


def test_chromium_renders_the_page_to_a_picture_that_is_not_blank(tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium; CI installs it)")
    page = write_report(tmp_path)
    shot = tmp_path / "shot.png"
    profile = tmp_path / "profile"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={profile}",
            "--window-size=1000,1400",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    height, width = pixels.shape[0], pixels.shape[1]
    assert (height, width) == (1400, 1000)
    flat = pixels.reshape(height * width, pixels.shape[2])[:, :3]
    not_white = (flat < 0.95).any(axis=1).sum()
    assert not_white > 0.02 * height * width  # text, table and two charts: far from blank
    orange = ((flat[:, 0] > 0.8) & (flat[:, 1] < 0.5) & (flat[:, 2] < 0.2)).sum()
    assert orange > 500  # the spend bars and the forecast line are drawn
