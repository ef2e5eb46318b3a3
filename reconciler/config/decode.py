"""The bytes of one budgets file to its text: the rules every loader applies, in one place.

``files`` (a directory on disk) and ``blobs`` (files in memory, e.g. read from git) both turn
bytes into text here, so a file means the same wherever it was read from:

- a file over ``MAX_FILE_BYTES`` is refused by its size (``too_large``);
- a UTF-8 byte order mark is dropped;
- the rest must be UTF-8: an invalid byte is refused naming the byte, its offset in the file
  (the mark counted), its line and column; the text is then kept decoded with U+FFFD for the
  bad bytes, only for ``salvage`` to read team ids from, never checked;
- nothing else changes: line breaks (``\\r\\n``, ``\\r``) and every other character reach
  YAML as written, which reads them as YAML does.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.config.diagnostics import Diagnostic

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


def too_large(where: str, size: int) -> Diagnostic:
    message = (
        f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit for a budgets file; "
        "split it into smaller files"
    )
    return Diagnostic("error", where, 0, 0, "", message)


def decode(where: str, data: bytes) -> SourceFile | tuple[Diagnostic, SourceFile]:
    """The text of a file shown as ``where``; for bytes that are not UTF-8, the problem and
    the lossy text."""
    body = data[len(_BOM) :] if data.startswith(_BOM) else data
    try:
        return SourceFile(where, body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        offset = exc.start + (len(data) - len(body))
        line = data.count(b"\n", 0, offset) + 1
        col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
        message = (
            f"not valid UTF-8: byte 0x{data[offset]:02x} at offset {offset}; save the file as UTF-8"
        )
        problem = Diagnostic("error", where, line, col, "", message)
        return problem, SourceFile(where, body.decode("utf-8", "replace"))
