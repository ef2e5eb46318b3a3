"""Find and read the budget files: every ``*.yaml``/``*.yml`` under the directory, recursively.

Files are read in sorted order of their path. Names starting with a dot (``.git``, ``.github``,
editor files) are skipped. Before YAML ever sees a file, this module refuses:

- a symlink (file or directory) that leads outside the budgets directory, or nowhere (a
  missing target or a loop);
- a file larger than ``MAX_FILE_BYTES``, by its size, without reading it;
- a file that is not valid UTF-8 (naming the byte, its offset, line and column).

Symlinked directories inside the budgets directory are not followed (what they point at is read
under its own name); a symlinked file inside it is read once, under its real name when both occur.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from reconciler.config.diagnostics import Diagnostic, display_path

MAX_FILE_BYTES = 1024 * 1024
SUFFIXES = (".yaml", ".yml")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class SourceFile:
    file: str  # as the user would type it
    text: str


@dataclass(frozen=True, slots=True)
class Sources:
    """The readable files, the problems with the others, and the text of those refused for
    their encoding (decoded with U+FFFD for bad bytes: only for ``salvage``, never checked)."""

    readable: tuple[SourceFile, ...]
    problems: tuple[Diagnostic, ...]
    lossy: tuple[SourceFile, ...] = ()


def _error(path: Path, message: str, line: int = 0, col: int = 0) -> Diagnostic:
    return Diagnostic("error", display_path(path), line, col, "", message)


def _inside(path: Path, root_real: Path) -> bool:
    return path == root_real or path.is_relative_to(root_real)


def _candidates(root: Path, root_real: Path) -> tuple[list[Path], list[Diagnostic]]:
    found: list[Path] = []
    problems: list[Diagnostic] = []
    for current, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(current)
        for name in sorted(dirnames):
            if name.startswith("."):
                dirnames.remove(name)
                continue
            path = here / name
            if path.is_symlink():
                target = Path(os.path.realpath(path))
                if not _inside(target, root_real):
                    problems.append(_outside(path, target, "directory"))
        dirnames.sort()
        for name in filenames:
            path = here / name
            if name.startswith(".") or not name.lower().endswith(SUFFIXES):
                continue
            if path.is_symlink():
                unusable = _dangling(path)
                if unusable is not None:
                    problems.append(unusable)
                    continue
                target = Path(os.path.realpath(path))
                if not _inside(target, root_real):
                    problems.append(_outside(path, target, "file"))
                    continue
            found.append(path)
    return found, problems


def _outside(path: Path, target: Path, what: str) -> Diagnostic:
    return _error(
        path,
        f"symlink leads outside the budgets directory (to {target.as_posix()}); "
        f"replace the link with a copy of the {what}, or point it inside the budgets directory",
    )


def _dangling(path: Path) -> Diagnostic | None:
    """The problem of a symlink that leads nowhere (a loop, or a missing target), else None."""
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            chain = _loop_chain(path)
            shown = f" ({' → '.join(chain)})" if chain else ""
            return _error(
                path, f"symlink loop{shown}; replace the link with the file, or delete it"
            )
        target = Path(os.path.realpath(path)).as_posix()
        return _error(
            path,
            f"broken symlink (to {target}, which does not exist); "
            "point it at a file inside the budgets directory, or delete it",
        )
    return None


def _loop_chain(path: Path) -> list[str] | None:
    """``[loop2.yaml, loop1, loop2.yaml]``: the link texts that lead back to where they began
    (None when the loop is not in this chain of links, e.g. in a parent directory)."""
    names = [path.name]
    current = Path(os.path.abspath(path))
    seen = {current}
    for _ in range(40):
        if not current.is_symlink():
            return None
        link = os.readlink(current)
        names.append(link)
        current = Path(os.path.normpath(current.parent / link))
        if current in seen:
            return names
        seen.add(current)
    return None


def _read(path: Path) -> SourceFile | Diagnostic | tuple[Diagnostic, SourceFile]:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return _error(path, "not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            return _too_large(path, info.st_size)
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return _error(path, f"cannot read the file: {exc.strerror or exc}")
    if len(data) > MAX_FILE_BYTES:
        return _too_large(path, len(data))
    body = data[len(_BOM) :] if data.startswith(_BOM) else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + (len(data) - len(body))
        line = data.count(b"\n", 0, offset) + 1
        col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
        problem = _error(
            path,
            f"not valid UTF-8: byte 0x{data[offset]:02x} at offset {offset}; "
            "save the file as UTF-8",
            line,
            col,
        )
        return problem, SourceFile(display_path(path), body.decode("utf-8", "replace"))
    return SourceFile(display_path(path), text)


def read_file(path: Path) -> SourceFile | Diagnostic:
    """One budgets file, or the problem that keeps it from being read (size, encoding)."""
    result = _read(path)
    return result[0] if isinstance(result, tuple) else result


def _too_large(path: Path, size: int) -> Diagnostic:
    return _error(
        path,
        f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit for a budgets file; "
        "split it into smaller files",
    )


def read_sources(budgets_dir: Path) -> Sources:
    """The readable budget files, sorted by path, and the problems with the others."""
    if not budgets_dir.exists():
        missing = "no such directory; pass the budgets directory (default: ./budgets)"
        return Sources((), (_error(budgets_dir, missing),))
    if not budgets_dir.is_dir():
        return Sources((), (_error(budgets_dir, "not a directory; pass the budgets directory"),))
    root_real = Path(os.path.realpath(budgets_dir))
    paths, problems = _candidates(budgets_dir, root_real)
    by_real: dict[Path, Path] = {}
    for path in sorted(paths, key=lambda p: (p.is_symlink(), p.as_posix())):
        by_real.setdefault(Path(os.path.realpath(path)), path)
    sources: list[SourceFile] = []
    lossy: list[SourceFile] = []
    for path in sorted(by_real.values(), key=lambda p: p.relative_to(budgets_dir).as_posix()):
        result = _read(path)
        if isinstance(result, Diagnostic):
            problems.append(result)
        elif isinstance(result, tuple):
            problems.append(result[0])
            lossy.append(result[1])
        else:
            sources.append(result)
    return Sources(tuple(sources), tuple(problems), tuple(lossy))
