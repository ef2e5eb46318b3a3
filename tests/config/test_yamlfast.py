"""libyaml's composer (the fast path) gives exactly the trees the event loop gives, and leaves
every text it is not sure of to the event loop."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.config import yamlload
from reconciler.config.nodes import Document, Mapping, Mark, Scalar, scalar_str
from reconciler.config.scalars import plain_tag
from reconciler.config.yamlfast import compose_plain
from reconciler.config.yamlload import MAX_DEPTH, _Composer, compose


def _event_loop(text: str) -> tuple[tuple[Document, ...], tuple[object, ...]]:
    composer = _Composer(text, "x.yaml")
    composer.run()
    return tuple(composer.documents), tuple(composer.diagnostics)


def _same_as_event_loop(text: str) -> bool:
    """True when the fast path took ``text``; then its trees are the event loop's (compared by
    repr, so that a NaN amount compares equal to itself)."""
    fast = compose_plain(text, "x.yaml", MAX_DEPTH)
    if fast is None:
        return False
    documents, problems = _event_loop(text)
    assert problems == ()
    assert repr(fast) == repr(documents)
    return True


SCALARS = st.sampled_from(
    [
        "12000.50", "0.1", "1_000.25", "-5.00", "0x10", "0o17", "017", "1:30", "1e3", "1.5e+3",
        ".inf", "-.Inf", ".nan", "true", "True", "FALSE", "yes", "no", "on", "~", "null", "",
        "2026-11-28", "'12.5'", '"quoted\\tvalue"', "team_a", "@acme/eng", "a b", "|\n  block\n",
        ">-\n  folded\n", "'it''s'", '"\\u00e9"', "é", "0", "-0", "+1", "1_0", "0b101",
    ]
)  # fmt: skip
KEYS = st.sampled_from(["id", "envelope", "kind", "owners", "1", "true", "~", "'q'", "a b", "id"])


def _block(draw: st.DrawFn, depth: int, indent: int) -> str:
    pad = " " * indent
    shape = draw(st.sampled_from(["map", "seq", "flow", "scalar"] if depth < 5 else ["scalar"]))
    if shape == "scalar":
        return " " + draw(SCALARS).replace("\n", "\n" + pad) + "\n"
    if shape == "flow":
        items = draw(st.lists(SCALARS.filter(lambda s: "\n" not in s and s), max_size=3))
        return " [" + ", ".join(items) + "]\n"
    lines = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        head = f"{pad}- " if shape == "seq" else f"{pad}{draw(KEYS)}:"
        body = _block(draw, depth + 1, indent + 2)
        lines.append(head + (body.removeprefix(" ") if shape == "seq" else body))
    return "\n" + "".join(lines)


@st.composite
def documents(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        body = _block(draw, 1, 0)
        parts.append(body.lstrip("\n") if body.startswith("\n") else body.lstrip())
    separator = draw(st.sampled_from(["---\n", "\n---\n", "...\n---\n"]))
    return separator.join(parts)


@settings(max_examples=300, deadline=None)
@given(documents())
def test_libyaml_trees_are_the_event_loops(text: str) -> None:
    _same_as_event_loop(text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("-:[]{}|>'\"%@`#,?~. \n\tabkidenvlope0123456789")),
        max_size=200,
    )
)
def test_yaml_like_text_composes_the_same_either_way(text: str) -> None:
    _same_as_event_loop(text)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        SCALARS, st.text(alphabet=st.sampled_from(list("-+.:_~0123456789eEtTrunNyYoOfFalsx<=")))
    )
)
def test_a_plain_scalar_resolves_as_the_yaml_resolver_resolves_it(text: str) -> None:
    resolver: Any = yaml.resolver.Resolver()  # PyYAML's own, untyped
    assert plain_tag(text) == resolver.resolve(yaml.ScalarNode, text, (True, False))


def test_plain_budget_files_take_the_fast_path() -> None:
    text = (
        "apiVersion: reconciler/v1\nkind: Team\nid: team_a\nenvelope: 10.00\n"
        "owners: ['@acme/eng', a@b.c]\nid: team_b\n? [k]\n: v\n---\n---\nname: x\n"
    )
    assert _same_as_event_loop(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: 2\n",  # an anchor
        "a: 1\nb: *x\n",  # an alias
        "a: !!str 1\n",  # a tag
        "name: 'R&D'\n",  # the characters anywhere, even quoted: the event loop decides
        "a: [1\n",  # a YAML error: the event loop words it
        "a: \x07\n",  # a character YAML refuses
        "a:" + " [" * (MAX_DEPTH + 1) + " ]" * (MAX_DEPTH + 1) + "\n",  # too deep
        "- " * (MAX_DEPTH + 1) + "x\n",
    ],
)
def test_texts_that_need_the_event_loop_are_left_to_it(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert compose_plain(text, "x.yaml", MAX_DEPTH) is None
    either = repr(compose(text, "x.yaml"))
    monkeypatch.setattr(yamlload, "compose_plain", lambda *_args: None)
    assert either == repr(compose(text, "x.yaml"))


def test_a_key_written_three_times_names_its_first_place_twice_and_keeps_its_last_value() -> None:
    text = "id: a\nname: x\nid: b\nid: c\n"
    assert _same_as_event_loop(text)
    (doc,) = compose_plain(text, "x.yaml", MAX_DEPTH) or ()
    assert isinstance(doc.root, Mapping)
    assert [(d.first, d.second) for d in doc.root.duplicates] == [
        (Mark(1, 1), Mark(3, 1)),
        (Mark(1, 1), Mark(4, 1)),
    ]
    assert list(doc.root.by_key()) == ["id", "name"]
    assert scalar_str(doc.root.get("id")) == "c"


def test_nesting_at_the_limit_still_takes_the_fast_path() -> None:
    text = "a:" + " [" * (MAX_DEPTH - 1) + " ]" * (MAX_DEPTH - 1) + "\n"
    assert _same_as_event_loop(text)


def test_a_scalar_is_frozen_and_compares_by_value() -> None:
    (doc,), _problems = compose("a: 1.50\n", "x.yaml")
    assert isinstance(doc.root, Mapping)
    scalar = doc.root.get("a")
    assert isinstance(scalar, Scalar)
    with pytest.raises(dataclasses.FrozenInstanceError):
        scalar.text = "2"  # type: ignore[misc]
    again = Scalar(Mark(1, 4), Decimal("1.50"), "1.50")
    assert scalar == again
    assert hash(scalar) == hash(again)
    assert dataclasses.replace(scalar, quoted=True).quoted
