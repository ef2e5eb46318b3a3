"""YAML text to located trees, exactly and safely.

PyYAML scans and parses (libyaml's ``CSafeLoader`` when PyYAML was built with it, else the pure
Python ``SafeLoader``; ``LOADER`` says which). This module composes the event stream itself,
without recursion, so that it can:

- keep the 1-based line and column of every node and key;
- build numbers as ``Decimal`` from the scalar's text (never ``float``);
- record a key written twice in a mapping, with both places;
- refuse alias inflation ("billion laughs") as soon as the nodes reached through aliases exceed
  ``MAX_ALIAS_EXPANSION``: aliases share the node they name, so nothing is ever copied and a
  bomb is refused in milliseconds;
- bound nesting depth (``MAX_DEPTH``);
- refuse every explicit YAML tag (``!!python/object``, ``!!str``, ``!local``).

A text that uses none of these features (no anchor, alias or tag) is composed by libyaml
instead, with the same result (``yamlfast``); this event loop reads every other text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from reconciler.config.diagnostics import Diagnostic
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
from reconciler.config.scalars import TAG as _TAG
from reconciler.config.scalars import scalar_value
from reconciler.config.yamlfast import compose_plain
from reconciler.text import clip

LOADER: type[Any] = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
MAX_ALIAS_EXPANSION = 10_000
MAX_DEPTH = 64

# Every explicit tag is refused, the standard ones too (!!str, !!float, ...): a tag changes how
# a value is read, which a budgets file never needs, and one rule is easiest to review.
_TAG_FIX = "remove it (budgets files use no YAML tags; quote a value to make it text)"


class _Stop(Exception):
    """The rest of the file cannot be read; the diagnostic is already recorded."""


def loader_name() -> str:
    """``CSafeLoader`` (libyaml) or ``SafeLoader`` (pure Python)."""
    return str(LOADER.__name__)


def _mark(mark: Any) -> Mark:
    return Mark(int(mark.line) + 1, int(mark.column) + 1)


@dataclass(slots=True)
class _Frame:
    mark: Mark
    anchor: str | None
    is_mapping: bool
    items: list[Node] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    first_seen: dict[str, Mark] = field(default_factory=dict)
    duplicates: list[Duplicate] = field(default_factory=list)
    bad_keys: list[Mark] = field(default_factory=list)
    key: tuple[str | None, Mark] | None = None
    size: int = 1

    def add(self, node: Node) -> None:
        self.size += node.size
        if not self.is_mapping:
            self.items.append(node)
        elif self.key is None:
            if isinstance(node, Scalar):
                key = node.value if isinstance(node.value, str) else node.text
                self.key = (key, node.mark)
            else:
                self.bad_keys.append(node.mark)
                self.key = (None, node.mark)
        else:
            key_text, key_mark = self.key
            self.key = None
            if key_text is None:
                return
            if key_text in self.first_seen:
                self.duplicates.append(Duplicate(key_text, self.first_seen[key_text], key_mark))
            else:
                self.first_seen[key_text] = key_mark
            self.entries.append(Entry(key_text, key_mark, node))

    def close(self) -> Node:
        if self.is_mapping:
            return Mapping(
                self.mark,
                tuple(self.entries),
                self.size,
                tuple(self.duplicates),
                tuple(self.bad_keys),
            )
        return Sequence(self.mark, tuple(self.items), self.size)


class _Composer:
    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.loader: Any = None
        self.documents: list[Document] = []
        self.diagnostics: list[Diagnostic] = []

    def error(self, mark: Mark, message: str) -> None:
        self.diagnostics.append(Diagnostic("error", self.file, mark.line, mark.col, "", message))

    def run(self) -> None:
        try:
            self.loader = LOADER(self.text)  # the pure-Python reader checks characters here
            self.loader.get_event()  # StreamStartEvent
            while not self.loader.check_event(yaml.StreamEndEvent):
                self.loader.get_event()  # DocumentStartEvent
                root = self.document()
                self.documents.append(Document(self.file, len(self.documents), root, root.mark))
        except _Stop:
            pass
        except yaml.MarkedYAMLError as exc:
            where = exc.problem_mark or exc.context_mark
            mark = _mark(where) if where is not None else Mark(1, 1)
            context = f" ({exc.context})" if exc.context else ""
            self.error(mark, f"invalid YAML: {exc.problem}{context}")
        except yaml.reader.ReaderError as exc:
            before = self.text[: exc.position]
            if LOADER is not yaml.SafeLoader:  # libyaml counts bytes of the UTF-8 encoding
                before = self.text.encode("utf-8")[: exc.position].decode("utf-8", "ignore")
            mark = Mark(before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1)
            char = exc.character
            code = char if isinstance(char, int) else ord(str(char)[:1] or "\0")
            self.error(mark, f"invalid YAML: {exc.reason} (character U+{code:04X})")
        except yaml.YAMLError as exc:
            self.error(Mark(1, 1), f"invalid YAML: {exc}")
        finally:
            if self.loader is not None:
                self.loader.dispose()

    def document(self) -> Node:
        anchors: dict[str, Node] = {}
        stack: list[_Frame] = []
        expanded = 0
        root: Node | None = None
        while True:
            event = self.loader.get_event()
            node: Node
            if isinstance(event, yaml.DocumentEndEvent):
                assert root is not None
                return root
            mark = _mark(event.start_mark)
            if isinstance(event, yaml.AliasEvent):
                target = anchors.get(str(event.anchor))
                if target is None:
                    self.error(
                        mark, f"invalid YAML: alias *{event.anchor} names no finished anchor"
                    )
                    raise _Stop
                expanded += target.size
                if expanded > MAX_ALIAS_EXPANSION:
                    self.error(
                        mark,
                        f"too many YAML alias expansions (over {MAX_ALIAS_EXPANSION:,} nodes "
                        "reached through aliases); write the values out instead",
                    )
                    raise _Stop
                node = target
            elif isinstance(event, yaml.ScalarEvent):
                node = self.scalar(event, mark)
                if event.anchor is not None:
                    anchors[event.anchor] = node
            elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                if len(stack) >= MAX_DEPTH:
                    self.error(mark, f"nesting deeper than {MAX_DEPTH} levels")
                    raise _Stop
                self.check_tag(event.tag, mark)
                is_mapping = isinstance(event, yaml.MappingStartEvent)
                stack.append(_Frame(mark, event.anchor, is_mapping))
                continue
            else:  # SequenceEndEvent / MappingEndEvent
                frame = stack.pop()
                node = frame.close()
                if frame.anchor is not None:
                    anchors[frame.anchor] = node
            if stack:
                stack[-1].add(node)
            else:
                root = node

    def check_tag(self, tag: str | None, mark: Mark) -> str:
        """Refuse an explicit tag; the tag as written (``!!float``), or "" when there is none."""
        if tag is None:
            return ""
        written = clip("!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag)
        self.error(mark, f"unsupported YAML tag {written}; {_TAG_FIX}")
        return written

    def scalar(self, event: Any, mark: Mark) -> Scalar:
        written = self.check_tag(event.tag, mark)
        # A refused tag is ignored: the value is what the scalar means without it, so the tag
        # is the one error reported about it.
        implicit = (not event.style, True) if written else event.implicit  # "" or None: plain
        tag = self.loader.resolve(yaml.ScalarNode, event.value, implicit)
        value = scalar_value(str(tag), event.value)
        return Scalar(mark, value, event.value, tag=written, quoted=bool(event.style))


def compose(text: str, file: str) -> tuple[tuple[Document, ...], tuple[Diagnostic, ...]]:
    """Every document of ``text`` (empty documents skipped) and the problems found reading it."""
    composed = compose_plain(text, file, MAX_DEPTH) if LOADER is yaml.CSafeLoader else None
    problems: tuple[Diagnostic, ...] = ()
    if composed is None:  # anchors, aliases, tags, too deep, a YAML error: the event loop
        composer = _Composer(text, file)
        composer.run()
        composed, problems = tuple(composer.documents), tuple(composer.diagnostics)
    documents = tuple(
        doc
        for doc in composed
        if not (isinstance(doc.root, Scalar) and doc.root.value is None and doc.root.text == "")
    )
    return documents, problems
