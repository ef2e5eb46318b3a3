"""The built sdist and wheel carry the schemas: install the wheel in a fresh venv and
validate the sample budgets from elsewhere with the installed command."""

from __future__ import annotations

import shutil
import site
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from reconciler import __version__

from .test_sample import SUMMARY

pytestmark = pytest.mark.slow


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_installed_wheel_validates_the_sample_budgets(repo_root: Path, tmp_path: Path) -> None:
    # A copy of the sources, so the build leaves nothing in the worktree.
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
        shutil.copy2(repo_root / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(repo_root / "reconciler", source / "reconciler", symlinks=True, ignore=ignore)
    shutil.copytree(repo_root / "schemas", source / "schemas")
    shutil.copytree(repo_root / "tests", source / "tests", ignore=ignore)
    assert (source / "reconciler" / "schemas").is_symlink()

    # The default build makes the sdist, then the wheel from the sdist: both must carry them.
    built = _run(sys.executable, "-m", "build", "--outdir", tmp_path / "dist", source, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    (sdist,) = (tmp_path / "dist").glob("reconciler-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    assert f"reconciler-{__version__}/reconciler/schemas/team.schema.json" in names
    assert f"reconciler-{__version__}/LICENSE" in names
    assert [name for name in names if "/tests/" in name or name.endswith("/tests")] == []
    with tarfile.open(sdist) as archive:
        member = archive.extractfile(f"reconciler-{__version__}/PKG-INFO")
        assert member is not None
        metadata = member.read().decode("utf-8")
    assert "License-Expression: Apache-2.0" in metadata
    assert "License-File: LICENSE" in metadata
    assert "Requires-Dist: referencing" in metadata
    assert 'Requires-Dist: starlette>=0.37; extra == "sandbox"' in metadata
    (wheel,) = (tmp_path / "dist").glob("reconciler-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert "reconciler/schemas/team.schema.json" in archive.namelist()

    # A fresh venv; dependencies come from this interpreter's site-packages through a .pth
    # line (no downloads). A .pth line adds a path without running the .pth files in it, so
    # the editable install of the worktree stays invisible: reconciler comes from the wheel.
    venv = tmp_path / "venv"
    created = _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    python = venv / "bin" / "python"
    (purelib,) = (venv / "lib").glob("python3*/site-packages")
    (purelib / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n", "utf-8")
    installed = _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
        "--no-index",
        "--quiet",
        wheel,
        cwd=tmp_path,
    )
    assert installed.returncode == 0, installed.stderr

    # Run from a directory that holds only a copy of the sample budgets.
    work = tmp_path / "work"
    shutil.copytree(repo_root / "budgets", work / "budgets")
    where = _run(
        python,
        "-c",
        "import reconciler.config.schema as s; print(s.__file__); print(s.schema_text('Team')[:1])",
        cwd=work,
    )
    assert where.returncode == 0, where.stderr
    module_file, first_char = where.stdout.splitlines()
    assert Path(module_file).is_relative_to(purelib)
    assert first_char == "{"
    assert (purelib / "reconciler" / "schemas" / "team.schema.json").is_file()
    assert not (purelib / "reconciler" / "schemas").is_symlink()

    result = _run(venv / "bin" / "reconciler", "validate", cwd=work)
    assert (result.returncode, result.stdout, result.stderr) == (0, SUMMARY + "\n", "")
