"""The common case of ``yamlload.compose``, fast: libyaml composes the nodes, one pass converts.

Most budget files use none of the YAML features that ``yamlload``'s own event loop is there to
watch: no anchor or alias (no ``&``, no ``*``, so no alias inflation), no tag (no ``!``). For
such a text, libyaml's C composer (``yaml.compose_all`` with ``CSafeLoader``) builds the same
nodes with the same marks and the same resolved tags as the event loop would, and converting
them is one tight pass instead of a Python step per event.

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
from reconciler.config.scalars import TAG, scalar_value

# The characters that start an anchor, an alias or a tag (and a %TAG directive's handle).
_EVENT_LOOP_ONLY = ("&", "*", "!")
_STR = TAG + "str"
_SCALAR = yaml.ScalarNode
_SEQUENCE = yaml.SequenceNode


class _TooDeep(Exception):
    """Nesting over the limit: the event loop reports it at the right place."""


@lru_cache(maxsize=1 << 16)
def _mark(line: int, column: int) -> Mark:
    """One shared ``Mark`` per place (marks are immutable, and budget files put their keys and
    values at the same few places), instead of one new object per node."""
    return Mark(line + 1, column + 1)


def _scalar(node: Any) -> Scalar:
    start = node.start_mark
    text = node.value
    mark = _mark(start.line, start.column)
    tag = node.tag
    value = text if tag == _STR else scalar_value(tag, text)  # most scalars are text
    return Scalar(mark, value, text, quoted=bool(node.style))


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
        return Sequence(mark, items, 1 + sum(item.size for item in items))
    return _mapping(node.value, mark, inner, max_depth)


def _mapping(pairs: list[tuple[Any, Any]], mark: Mark, depth: int, max_depth: int) -> Mapping:
    entries: list[Entry] = []
    first_seen: dict[str, Mark] = {}
    duplicates: list[Duplicate] = []
    bad_keys: list[Mark] = []
    size = 1
    for key_node, value_node in pairs:
        key = _convert(key_node, depth, max_depth)
        value = _convert(value_node, depth, max_depth)
        size += key.size + value.size
        if key.__class__ is not Scalar:
            bad_keys.append(key.mark)
            continue
        assert isinstance(key, Scalar)
        text = key.value if isinstance(key.value, str) else key.text
        seen = first_seen.get(text)
        if seen is None:
            first_seen[text] = key.mark
        else:
            duplicates.append(Duplicate(text, seen, key.mark))
        entries.append(Entry(text, key.mark, value))
    return Mapping(mark, tuple(entries), size, tuple(duplicates), tuple(bad_keys))


def compose_plain(text: str, file: str, max_depth: int) -> tuple[Document, ...] | None:
    """Every document of ``text`` (empty ones included, as the event loop gives them), or None
    when ``text`` needs the event loop (see the module docstring)."""
    if any(char in text for char in _EVENT_LOOP_ONLY):
        return None
    documents: list[Document] = []
    try:
        for root_node in yaml.compose_all(text, Loader=yaml.CSafeLoader):
            root = _convert(root_node, 0, max_depth)
            documents.append(Document(file, len(documents), root, root.mark))
    except (yaml.YAMLError, _TooDeep):
        return None
    return tuple(documents)
