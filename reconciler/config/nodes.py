"""The YAML tree the loader builds: every node keeps where it was written.

``yamlload`` composes these from PyYAML's event stream; ``schema``, ``checks`` and ``build``
read them. A node's ``size`` is the number of nodes it stands for once aliases are expanded,
which is what the alias budget counts. ``to_plain`` turns a node into the JSON-like value
jsonschema checks (numbers are ``Decimal``, never ``float``).
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass, field
from decimal import Decimal

from reconciler.text import clip

ScalarValue = str | Decimal | bool | None
PlainValue = ScalarValue | list["PlainValue"] | dict[str, "PlainValue"]
PathElement = str | int


@dataclass(frozen=True, slots=True, init=False)
class Mark:
    """A 1-based line and column."""

    line: int
    col: int

    def __init__(self, line: int, col: int) -> None:
        # As ``Scalar``: one per place of every file.
        _MARK_SLOTS[0](self, line)
        _MARK_SLOTS[1](self, col)


_MARK_SLOTS = tuple(getattr(Mark, name).__set__ for name in Mark.__slots__)


@dataclass(frozen=True, slots=True, init=False)
class Scalar:
    mark: Mark
    value: ScalarValue
    text: str  # the scalar exactly as written (without quotes)
    size: int = 1
    tag: str = ""  # an explicit tag as written (``!!float``); refused, kept for messages
    quoted: bool = False  # written quoted or as a block (| >): text, whatever it looks like

    def __init__(
        self,
        mark: Mark,
        value: ScalarValue,
        text: str,
        size: int = 1,
        tag: str = "",
        quoted: bool = False,
    ) -> None:
        # The generated __init__ of a frozen dataclass, without its object.__setattr__ lookup
        # per field: a file has more scalars than anything, and this was a tenth of reading
        # 10,000 files. Each slot is still set once, here; the instance stays frozen.
        _SCALAR_SLOTS[0](self, mark)
        _SCALAR_SLOTS[1](self, value)
        _SCALAR_SLOTS[2](self, text)
        _SCALAR_SLOTS[3](self, size)
        _SCALAR_SLOTS[4](self, tag)
        _SCALAR_SLOTS[5](self, quoted)


_SCALAR_SLOTS = tuple(getattr(Scalar, name).__set__ for name in Scalar.__slots__)


@dataclass(frozen=True, slots=True, init=False)
class Entry:
    key: str
    key_mark: Mark
    value: Node

    def __init__(self, key: str, key_mark: Mark, value: Node) -> None:
        # As ``Scalar``: one per key of every mapping, so built the cheap way.
        _ENTRY_SLOTS[0](self, key)
        _ENTRY_SLOTS[1](self, key_mark)
        _ENTRY_SLOTS[2](self, value)


_ENTRY_SLOTS = tuple(getattr(Entry, name).__set__ for name in Entry.__slots__)


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A key written twice in one mapping; the later value wins in ``Mapping.get``."""

    key: str
    first: Mark
    second: Mark


@dataclass(frozen=True, slots=True, init=False)
class Mapping:
    mark: Mark
    entries: tuple[Entry, ...]
    size: int
    duplicates: tuple[Duplicate, ...] = ()
    bad_keys: tuple[Mark, ...] = ()  # keys that are not scalars (a list or a mapping as a key)
    _index: dict[str, Entry] = field(init=False, repr=False, compare=False)

    def __init__(
        self,
        mark: Mark,
        entries: tuple[Entry, ...],
        size: int,
        duplicates: tuple[Duplicate, ...] = (),
        bad_keys: tuple[Mark, ...] = (),
        index: dict[str, Entry] | None = None,
    ) -> None:
        # As ``Scalar``. ``index``: each key's last entry, in the order keys were first
        # written, when the caller built it already; the last entry of a key wins, as in any
        # YAML loader, and lookups stay O(1).
        _MAPPING_SLOTS[0](self, mark)
        _MAPPING_SLOTS[1](self, entries)
        _MAPPING_SLOTS[2](self, size)
        _MAPPING_SLOTS[3](self, duplicates)
        _MAPPING_SLOTS[4](self, bad_keys)
        if index is None:
            index = {entry.key: entry for entry in entries}
        _MAPPING_SLOTS[5](self, index)

    def get(self, key: str) -> Node | None:
        entry = self._index.get(key)
        return entry.value if entry is not None else None

    def entry(self, key: str) -> Entry | None:
        return self._index.get(key)

    def by_key(self) -> MappingABC[str, Entry]:
        """Each key once (in the order first written, as in ``to_plain``) with the entry that
        wins."""
        return self._index


_MAPPING_SLOTS = tuple(getattr(Mapping, name).__set__ for name in Mapping.__slots__)


@dataclass(frozen=True, slots=True)
class Sequence:
    mark: Mark
    items: tuple[Node, ...]
    size: int


Node = Scalar | Mapping | Sequence


@dataclass(frozen=True, slots=True)
class Document:
    """One YAML document of one file. ``file`` is the path as the user would type it."""

    file: str
    index: int  # 0-based position of the document in its file
    root: Node
    mark: Mark = field(default_factory=lambda: Mark(1, 1))


def to_plain(node: Node) -> PlainValue:
    """The JSON-like value of ``node`` (later duplicate keys win, as in any YAML loader)."""
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, Sequence):
        return [to_plain(item) for item in node.items]
    return {entry.key: to_plain(entry.value) for entry in node.entries}


def scalar_str(node: Node | None) -> str | None:
    """The value of a string scalar, else None."""
    if isinstance(node, Scalar) and isinstance(node.value, str):
        return node.value
    return None


def resolve(root: Node, path: SequenceABC[PathElement]) -> tuple[Node | None, Mark]:
    """Follow ``path`` from ``root``: the node there (if any) and the best mark for it.

    When the path ends at a key, the mark is the key's, so an error points at what to edit.
    """
    node: Node | None = root
    mark = root.mark
    for element in path:
        if isinstance(node, Mapping) and isinstance(element, str):
            entry = node.entry(element)
            if entry is None:
                return None, mark
            node, mark = entry.value, entry.key_mark
        elif isinstance(node, Sequence) and isinstance(element, int) and element < len(node.items):
            node = node.items[element]
            mark = node.mark
        else:
            return None, mark
    return node, mark


def readable_path(prefix: str, root: Node, path: SequenceABC[PathElement]) -> str:
    """``teams[team_eng].envelope``: keys joined by dots, list items by their ``id`` if any."""
    text = prefix
    node: Node | None = root
    for element in path:
        if isinstance(element, int):
            item = node.items[element] if isinstance(node, Sequence) else None
            item_id = scalar_str(item.get("id")) if isinstance(item, Mapping) else None
            text += f"[{clip(item_id)}]" if item_id else f"[{element}]"
            node = item
        else:
            text = f"{text}.{clip(element)}" if text else clip(element)
            node = node.get(element) if isinstance(node, Mapping) else None
    return text
