"""The common case of ``yamlload.compose``, fast: libyaml composes the nodes, one pass converts.

Most budget files use none of the YAML features that ``yamlload``'s own event loop is there to
watch: no anchor or alias (no ``&``, no ``*``, so no alias inflation), no tag (no ``!``). For
such a text, libyaml's C composer (the composer of ``CSafeLoader``) builds the same
nodes with the same marks as the event loop would, each scalar's tag is resolved as the event
loop resolves it, and converting them is one tight pass instead of a Python step per event.

Anything else gives ``None`` and the caller runs the event loop, which says exactly what is
wrong and where: a text with any of ``&*!`` (even inside quotes or comments), nesting deeper
than the limit, and every YAML error. So a diagnostic never comes from this module.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from reconciler.config.nodes import (
    Document,
    Duplicate,
    Entry,
    Mapping,
    Mark,
    Node,
    Scalar,
    Sequence,
)
from reconciler.config.scalars import plain_value

_SCALAR = yaml.ScalarNode
_SEQUENCE = yaml.SequenceNode
# Bounds of the shared marks and scalars: enough for the places and texts that repeat from
# file to file, few enough that what outlives a run is small.
_CACHE_LIMIT = 1 << 12


class _TooDeep(Exception):
    """Nesting over the limit: the event loop reports it at the right place."""


# libyaml's parser, when PyYAML was built with it (else every text takes the event loop).
_CParser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None)


class _Composer(_CParser or object):  # type: ignore[misc]
    """libyaml's parser and composer alone: no constructor, no resolver of paths or tags.

    The composer asks ``resolve`` for the tag of every node; ``_scalar`` resolves a scalar's
    tag itself, once per text (``plain_value``), and the tag of a mapping or a list is never
    read. Descending into and out of a node is for path resolvers, which the safe loader does
    not have."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        return ""

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


@lru_cache(maxsize=_CACHE_LIMIT)
def _mark(line: int, column: int) -> Mark:
    """One shared ``Mark`` per place (marks are immutable, and budget files put their keys and
    values at the same few places), instead of one new object per node."""
    return Mark(line + 1, column + 1)


# Scalars are immutable too, and most of them (keys, ``apiVersion: reconciler/v1``, ``kind:
# Team``) are the same text at the same place in file after file: one shared ``Scalar`` for
# each. A text with ``!`` never comes here, so no scalar has a tag of its own: a quoted one is
# text, and a plain one's value follows from its text alone (``plain_value``).
_scalars: dict[tuple[str, int, int, bool], Scalar] = {}


def _scalar(node: Any) -> Scalar:
    start = node.start_mark
    text = node.value
    quoted = bool(node.style)
    key = (text, start.line, start.column, quoted)
    found = _scalars.get(key)
    if found is not None:
        return found
    if len(_scalars) >= _CACHE_LIMIT:
        _scalars.clear()
    value = text if quoted else plain_value(text)
    found = _scalars[key] = Scalar(_mark(start.line, start.column), value, text, 1, "", quoted)
    return found


def _convert(node: Any, depth: int, max_depth: int) -> Node:
    kind = node.__class__
    if kind is _SCALAR:
        return _scalar(node)
    if depth >= max_depth:
        raise _TooDeep
    start = node.start_mark
    mark = _mark(start.line, start.column)
    inner = depth + 1
    if kind is _SEQUENCE:
        items = tuple([_convert(item, inner, max_depth) for item in node.value])
        size = 1
        for item in items:
            size += item.size
        return Sequence(mark, items, size)
    return _mapping(node.value, mark, inner, max_depth)


def _mapping(pairs: list[tuple[Any, Any]], mark: Mark, depth: int, max_depth: int) -> Mapping:
    entries: list[Entry] = []
    index: dict[str, Entry] = {}  # each key's first entry while reading: a duplicate names it
    duplicates: list[Duplicate] = []
    bad_keys: list[Mark] = []
    size = 1
    for key_node, value_node in pairs:
        key = (
            _scalar(key_node)
            if key_node.__class__ is _SCALAR
            else _convert(key_node, depth, max_depth)
        )
        value = (
            _scalar(value_node)
            if value_node.__class__ is _SCALAR
            else _convert(value_node, depth, max_depth)
        )
        size += key.size + value.size
        if not isinstance(key, Scalar):
            bad_keys.append(key.mark)
            continue
        text = key.value if key.value.__class__ is str else key.text
        entry = Entry(text, key.mark, value)
        entries.append(entry)
        first = index.setdefault(text, entry)
        if first is not entry:
            duplicates.append(Duplicate(text, first.key_mark, key.mark))
    if duplicates:  # the last entry of a key wins, in the place the key was first written
        index = {entry.key: entry for entry in entries}
    return Mapping(mark, tuple(entries), size, tuple(duplicates), tuple(bad_keys), index)


def compose_plain(text: str, file: str, max_depth: int) -> tuple[Document, ...] | None:
    """Every document of ``text`` (empty ones included, as the event loop gives them), or None
    when ``text`` needs the event loop (see the module docstring)."""
    # The characters that start an anchor, an alias or a tag (and a %TAG directive's handle).
    if "&" in text or "*" in text or "!" in text:
        return None
    if _CParser is None:
        return None
    documents: list[Document] = []
    composer = _Composer(text)
    try:
        while composer.check_node():
            root = _convert(composer.get_node(), 0, max_depth)
            documents.append(Document(file, len(documents), root, root.mark))
    except (yaml.YAMLError, _TooDeep):
        return None
    finally:
        composer.dispose()
    return tuple(documents)
