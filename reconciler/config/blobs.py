"""The budgets directory given as files in memory, ``(path under it, bytes)``: e.g. a tree read
from git. ``sources`` applies the rules ``files.read_sources`` applies on disk, so validating
them says exactly what validating a directory holding those files would say, naming the same
paths: which names count (``*.yaml``/``*.yml``, nothing under a name starting with a dot),
sorted by path, the size limit, a UTF-8 byte order mark dropped, and an encoding error at its
byte, line and column (its text kept, decoded lossily, only for ``salvage``).

Symlinks are not files here: a caller with one in its tree reads the tree from disk instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from reconciler.config.diagnostics import Diagnostic, display_path
from reconciler.config.files import MAX_FILE_BYTES, SUFFIXES, SourceFile, Sources

_BOM = b"\xef\xbb\xbf"


def counts(name: str) -> bool:
    """Whether a file at this path under the budgets directory is a budgets file."""
    parts = PurePosixPath(name).parts
    return (
        bool(parts)
        and not any(part.startswith(".") for part in parts)
        and parts[-1].lower().endswith(SUFFIXES)
    )


def sources(budgets_dir: Path, files: Iterable[tuple[str, bytes]]) -> Sources:
    """The readable files sorted by path, the problems with the others, the lossy texts."""
    readable: list[SourceFile] = []
    problems: list[Diagnostic] = []
    lossy: list[SourceFile] = []
    for name, data in sorted((n, d) for n, d in files if counts(n)):
        where = display_path(budgets_dir / name)
        if len(data) > MAX_FILE_BYTES:
            message = (
                f"file is {len(data):,} bytes, over the {MAX_FILE_BYTES:,}-byte limit for a "
                "budgets file; split it into smaller files"
            )
            problems.append(Diagnostic("error", where, 0, 0, "", message))
            continue
        body = data[len(_BOM) :] if data.startswith(_BOM) else data
        try:
            readable.append(SourceFile(where, body.decode("utf-8")))
        except UnicodeDecodeError as exc:
            offset = exc.start + (len(data) - len(body))
            line = data.count(b"\n", 0, offset) + 1
            col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
            message = (
                f"not valid UTF-8: byte 0x{data[offset]:02x} at offset {offset}; "
                "save the file as UTF-8"
            )
            problems.append(Diagnostic("error", where, line, col, "", message))
            lossy.append(SourceFile(where, body.decode("utf-8", "replace")))
    return Sources(tuple(readable), tuple(problems), tuple(lossy))
