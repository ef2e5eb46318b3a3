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
import posixpath
import stat
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from reconciler.config.decode import (
    MAX_FILE_BYTES,
    SUFFIXES,
    SourceFile,
    Sources,
    decode,
    too_large,
)
from reconciler.config.diagnostics import Diagnostic, display_path

__all__ = ["MAX_FILE_BYTES", "SUFFIXES", "SourceFile", "Sources", "read_file", "read_sources"]


def _error(path: Path, message: str, line: int = 0, col: int = 0) -> Diagnostic:
    return Diagnostic("error", display_path(path), line, col, "", message)


def _inside(path: Path, root_real: Path) -> bool:
    return path == root_real or path.is_relative_to(root_real)


class _Found(NamedTuple):  # a tuple: one per file listed, built cheaply
    rel: str  # the path under the budgets directory, with "/"
    path: str  # the path as listed (the budgets directory joined with ``rel``)
    is_link: bool
    regular: bool  # known to be a regular file without a stat (not a link)


def _entries(directory: str) -> tuple[list[os.DirEntry[str]], list[os.DirEntry[str]]]:
    """The directories (symlinks to one included) and the other entries, as ``os.walk``
    sorts them."""
    dirs: list[os.DirEntry[str]] = []
    others: list[os.DirEntry[str]] = []
    try:
        with os.scandir(directory) as listing:
            for entry in listing:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                (dirs if is_dir else others).append(entry)
    except OSError:
        pass  # an unreadable directory is skipped, as os.walk skips it
    return dirs, others


def _candidates(root: Path, root_real: Path) -> tuple[list[_Found], list[Diagnostic]]:
    found: list[_Found] = []
    problems: list[Diagnostic] = []
    pending = [("", os.fspath(root))]
    while pending:
        rel_dir, directory = pending.pop()
        dirs, others = _entries(directory)
        walk_into: list[tuple[str, str]] = []
        for entry in sorted(dirs, key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            rel = rel_dir + entry.name
            if entry.is_symlink():
                path = root / rel
                target = Path(os.path.realpath(path))
                if not _inside(target, root_real):
                    problems.append(_outside(path, target, "directory"))
            else:
                walk_into.append((rel + "/", entry.path))
        pending.extend(reversed(walk_into))
        for entry in others:
            name = entry.name
            if name.startswith(".") or not name.lower().endswith(SUFFIXES):
                continue
            rel = rel_dir + name
            is_link = entry.is_symlink()
            if is_link:
                path = root / rel
                unusable = _dangling(path)
                if unusable is not None:
                    problems.append(unusable)
                    continue
                target = Path(os.path.realpath(path))
                if not _inside(target, root_real):
                    problems.append(_outside(path, target, "file"))
                    continue
            regular = not is_link and entry.is_file(follow_symlinks=False)
            found.append(_Found(rel, entry.path, is_link, regular))
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


def _read_limited(fd: int, first: int) -> bytes:
    """At most ``MAX_FILE_BYTES + 1`` bytes of a regular file, asking for ``first`` bytes
    first. A read that returns fewer bytes than asked for is the end of a regular file."""
    chunks: list[bytes] = []
    total, want = 0, first
    while total <= MAX_FILE_BYTES:
        chunk = os.read(fd, want)
        chunks.append(chunk)
        total += len(chunk)
        if len(chunk) < want:
            break
        want = MAX_FILE_BYTES + 1 - total
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _load(path: Path | str, regular: bool) -> bytes | Diagnostic:
    """The bytes of ``path``; ``regular`` when the directory listing said it is a regular
    file (no stat before opening it then: the open file's own says its size)."""
    try:
        if not regular:
            info = os.stat(path)
            if not stat.S_ISREG(info.st_mode):
                return _error(Path(path), "not a regular file")
            if info.st_size > MAX_FILE_BYTES:
                return too_large(display_path(Path(path)), info.st_size)
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return _error(Path(path), "not a regular file")
            if info.st_size > MAX_FILE_BYTES:
                return too_large(display_path(Path(path)), info.st_size)
            data = _read_limited(fd, min(info.st_size + 1, MAX_FILE_BYTES + 1))
        finally:
            os.close(fd)
    except OSError as exc:
        return _error(Path(path), f"cannot read the file: {exc.strerror or exc}")
    if len(data) > MAX_FILE_BYTES:
        return too_large(display_path(Path(path)), len(data))
    return data


def _read(
    path: Path | str, shown: str | None = None, regular: bool = False
) -> SourceFile | Diagnostic | tuple[Diagnostic, SourceFile]:
    """One file's text, shown as ``shown`` (default: ``display_path``)."""
    data = _load(path, regular)
    if isinstance(data, Diagnostic):
        return data
    return decode(display_path(Path(path)) if shown is None else shown, data)


def read_file(path: Path) -> SourceFile | Diagnostic:
    """One budgets file, or the problem that keeps it from being read (size, encoding)."""
    result = _read(path)
    return result[0] if isinstance(result, tuple) else result


def _namer(budgets_dir: Path) -> Callable[[str, str], str]:
    """How a file under ``budgets_dir`` is shown (``display_path``), from its path under it:
    worked out once for the directory, not once per file."""
    absolute = os.path.abspath(budgets_dir)
    cwd = os.getcwd()
    if cwd.startswith(absolute.rstrip("/") + "/"):  # the directory holds the working directory
        return lambda _rel, path: display_path(Path(path))
    shown = display_path(budgets_dir)
    if shown == ".":
        return lambda rel, _path: rel
    return lambda rel, _path: posixpath.join(shown, rel)


def read_sources(budgets_dir: Path) -> Sources:
    """The readable budget files, sorted by path, and the problems with the others."""
    if not budgets_dir.exists():
        missing = "no such directory; pass the budgets directory (default: ./budgets)"
        return Sources((), (_error(budgets_dir, missing),))
    if not budgets_dir.is_dir():
        return Sources((), (_error(budgets_dir, "not a directory; pass the budgets directory"),))
    root_real = Path(os.path.realpath(budgets_dir))
    found, problems = _candidates(budgets_dir, root_real)
    # A file and a symlink to it inside the directory: read once, under the file's own name.
    # Outside of symlinks, a file's real path is the directory's real path and its own.
    if any(item.is_link for item in found):
        by_real: dict[str, _Found] = {}
        for item in sorted(found, key=lambda f: (f.is_link, f.rel)):
            real = os.path.realpath(item.path) if item.is_link else f"{root_real}/{item.rel}"
            by_real.setdefault(real, item)
        found = list(by_real.values())
    name = _namer(budgets_dir)
    sources: list[SourceFile] = []
    lossy: list[SourceFile] = []
    for item in sorted(found, key=lambda f: f.rel):
        result = _read(item.path, name(item.rel, item.path), item.regular)
        if isinstance(result, Diagnostic):
            problems.append(result)
        elif isinstance(result, tuple):
            problems.append(result[0])
            lossy.append(result[1])
        else:
            sources.append(result)
    return Sources(tuple(sources), tuple(problems), tuple(lossy))
