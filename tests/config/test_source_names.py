"""Files are named as the user would type them, wherever validate runs from: the names worked
out once for the directory are the ones ``display_path`` gives each file."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config.diagnostics import display_path
from reconciler.config.files import read_sources

FILES = ["organization.yaml", "teams/b.yml", "teams/a.yaml", "teams/deep/c.YAML", "z.yaml"]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "work" / "budgets"
    for name in FILES:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("a: 1\n", encoding="utf-8")
    (root / "teams" / "link.yaml").symlink_to(root / "z.yaml")  # read once, as z.yaml
    (tmp_path / "elsewhere").mkdir()
    return root


@pytest.mark.parametrize(
    ("cwd", "argument"),
    [
        ("work", "budgets"),  # the usual: the directory under the working directory
        ("work/budgets", "."),  # from inside it
        ("work/budgets/teams", ".."),  # from a directory inside it
        ("work/budgets/teams", "ABS"),  # the same, given as an absolute path
        ("elsewhere", "../work/budgets"),  # from beside it: absolute names
        ("work", "./budgets/../budgets/"),
    ],
)
def test_each_file_is_named_as_display_path_names_it(
    tree: Path, monkeypatch: pytest.MonkeyPatch, cwd: str, argument: str
) -> None:
    base = tree.parent.parent
    monkeypatch.chdir(base / cwd)
    root = tree if argument == "ABS" else Path(argument)
    sources = read_sources(root)
    assert sources.problems == ()
    expected = [display_path(tree / name) for name in sorted(FILES)]
    assert [source.file for source in sources.readable] == expected
