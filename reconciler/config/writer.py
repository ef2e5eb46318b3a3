"""Rewrite ``envelope:`` scalars in budgets files in place, touching nothing else.

A text-level edit guided by the loader's node positions: each Team document's ``envelope``
value is found by composing the file (``yamlload.compose``), its exact characters in the text
are checked against the scalar the loader read, and only those characters are replaced.
Comments, key order, other documents of a multi-document file, flow style (``{envelope:
12000.00}``) and the quoting of the value are kept; a value written with digit groups
(``12_000.00``) is rewritten with digit groups. A file is written to a temporary file in its
directory and renamed over the original, so it is never left half written.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Mapping as MappingABC
from pathlib import Path

import yaml

from reconciler.config.nodes import Mapping, Scalar
from reconciler.config.yamlload import compose
from reconciler.errors import ConfigError
from reconciler.money import decimal_str

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def envelope_text(micros: int, like: str) -> str:
    """``12500.00``, or ``12_500.00`` when the value it replaces used digit groups."""
    text = decimal_str(micros)
    if "_" not in like:
        return text
    whole, _, frac = text.partition(".")
    return f"{int(whole):_}.{frac}"


def _offset(text: str, line: int, col: int) -> int:
    lines = text.splitlines(keepends=True)
    return sum(len(part) for part in lines[: line - 1]) + col - 1


def _span(text: str, file: str, team_id: str) -> tuple[int, int, Scalar]:
    documents, problems = compose(text, file)
    if problems:
        raise ConfigError(f"{file}: cannot rewrite: {problems[0].message}")
    for doc in documents:
        root = doc.root
        if not isinstance(root, Mapping):
            continue
        kind, ident = root.get("kind"), root.get("id")
        if not (isinstance(kind, Scalar) and kind.value == "Team"):
            continue
        if not (isinstance(ident, Scalar) and ident.value == team_id):
            continue
        value = root.get("envelope")
        if not isinstance(value, Scalar):
            raise ConfigError(f"{file}: team {team_id} has no envelope scalar to rewrite")
        start = _offset(text, value.mark.line, value.mark.col)
        quote = text[start] if value.quoted and text[start] in "'\"" else ""
        inner = start + len(quote)
        end = inner + len(value.text)
        if text[inner:end] != value.text or (quote and text[end : end + 1] != quote):
            raise ConfigError(
                f"{file}:{value.mark.line}:{value.mark.col}: the envelope of {team_id} is "
                "written in a form this writer cannot edit safely (multi-line or escaped): "
                "write it as a plain number, e.g. envelope: 12000.00"
            )
        return inner, end, value
    raise ConfigError(f"{file}: no Team document with id {team_id}")


def rewrite_envelopes(text: str, file: str, envelopes: MappingABC[str, int]) -> str:
    """``text`` with each named team's envelope replaced (the rest unchanged, byte for byte)."""
    spans = sorted(
        ((*_span(text, file, team_id), micros) for team_id, micros in envelopes.items()),
        key=lambda item: item[0],
        reverse=True,
    )
    for start, end, scalar, micros in spans:
        text = text[:start] + envelope_text(micros, scalar.text) + text[end:]
    return text


def write_envelopes(changes: MappingABC[Path, MappingABC[str, int]]) -> list[Path]:
    """Rewrite every file in ``changes`` (file -> team id -> envelope); the files changed."""
    written: list[Path] = []
    prepared: dict[Path, str] = {}
    for path, envelopes in changes.items():  # every file is checked before any is written
        original = path.read_text(encoding="utf-8")
        updated = rewrite_envelopes(original, str(path), envelopes)
        if updated != original:
            prepared[path] = updated
    for path, updated in prepared.items():
        _replace(path, updated)
        written.append(path)
    return written


def _replace(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def group_by_file(
    locations: MappingABC[str, str], envelopes: MappingABC[str, int]
) -> dict[Path, dict[str, int]]:
    """team id -> file (``locations``) and team id -> envelope, as file -> {team id: envelope}."""
    grouped: dict[Path, dict[str, int]] = defaultdict(dict)
    for team_id, micros in envelopes.items():
        grouped[Path(locations[team_id])][team_id] = micros
    return dict(grouped)


def yaml_scalar(text: str) -> str:
    """``text`` as a YAML scalar that every reader takes for that same string: plain when it
    is safe, else double-quoted (``true``, ``123``, ``1e3``, ``1:30``, spaces, controls)."""
    if _PLAIN.fullmatch(text):
        dumped = yaml.safe_dump(text, allow_unicode=True)
        if not dumped.startswith(("'", '"')):
            return text
    return yaml.safe_dump(text, default_style='"', allow_unicode=True, width=1 << 20).strip()
