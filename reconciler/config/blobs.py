"""The budgets directory given as files in memory, ``(path under it, bytes)``: e.g. a tree read
from git. ``sources`` applies the rules ``files.read_sources`` applies on disk, so validating
them says exactly what validating a directory holding those files would say, naming the same
paths: which names count (``*.yaml``/``*.yml``, nothing under a name starting with a dot),
sorted by path, the size limit, a UTF-8 byte order mark dropped, and an encoding error at its
byte, line and column (its text kept, decoded lossily, only for ``salvage``): the rules of
``decode``, which ``files`` applies too.

Symlinks are not files here: a caller with one in its tree reads the tree from disk instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from reconciler.config.decode import (
    MAX_FILE_BYTES,
    SUFFIXES,
    SourceFile,
    Sources,
    decode,
    too_large,
)
from reconciler.config.diagnostics import Diagnostic, display_path


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
            problems.append(too_large(where, len(data)))
            continue
        result = decode(where, data)
        if isinstance(result, SourceFile):
            readable.append(result)
        else:
            problems.append(result[0])
            lossy.append(result[1])
    return Sources(tuple(readable), tuple(problems), tuple(lossy))
