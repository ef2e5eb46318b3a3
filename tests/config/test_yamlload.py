"""The YAML layer: the C loader, exact numbers, marks, duplicate keys, alias and depth limits."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from reconciler.config import load
from reconciler.config.nodes import Mapping, Scalar, Sequence
from reconciler.config.yamlload import LOADER, MAX_ALIAS_EXPANSION, compose, loader_name

from .conftest import TEAM_A, Check


def test_the_c_loader_is_used_when_pyyaml_has_libyaml() -> None:
    assert yaml.__with_libyaml__  # this environment has libyaml: the test below must see it used
    assert LOADER is yaml.CSafeLoader
    assert loader_name() == "CSafeLoader"


def _value(text: str, key: str) -> object:
    (doc,), problems = compose(text, "x.yaml")
    assert problems == ()
    assert isinstance(doc.root, Mapping)
    node = doc.root.get(key)
    assert isinstance(node, Scalar)
    return node.value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12000.50", Decimal("12000.50")),
        ("0.1", Decimal("0.1")),
        ("12000", Decimal(12000)),
        ("1_000.25", Decimal("1000.25")),
        ("-5.00", Decimal("-5.00")),
        ("0x10", Decimal(16)),
        ("1.5e+3", Decimal("1.5e+3")),
    ],
)
def test_numbers_are_exact_decimals(text: str, expected: Decimal) -> None:
    value = _value(f"n: {text}\n", "n")
    assert isinstance(value, Decimal)
    assert value == expected
    assert str(value) == str(expected)


def test_special_floats_and_other_scalars() -> None:
    assert str(_value("n: .inf\n", "n")) == "Infinity"
    assert str(_value("n: -.inf\n", "n")) == "-Infinity"
    assert str(_value("n: .nan\n", "n")) == "NaN"
    assert _value("n: '12.5'\n", "n") == "12.5"
    assert _value("n: true\n", "n") is True
    assert _value("n: ~\n", "n") is None
    assert _value("n: 2026-11-28\n", "n") == "2026-11-28"


def test_sub_cent_precision_survives_loading(check: Check) -> None:
    assert check({"team_a.yaml": TEAM_A.replace("10.00", "0.10")}) == []
    state, _ = load(Path("budgets"))
    assert state.teams[0].envelope == 100_000  # 0.1 exactly, not 0.1000000000000000055


def test_marks_are_one_based_lines_and_columns() -> None:
    (doc,), _ = compose("# c\na:\n  - b: 1\n    c: [x, y]\n", "x.yaml")
    assert isinstance(doc.root, Mapping)
    entry = doc.root.entry("a")
    assert entry is not None
    assert (entry.key_mark.line, entry.key_mark.col) == (2, 1)
    assert isinstance(entry.value, Sequence)
    item = entry.value.items[0]
    assert isinstance(item, Mapping)
    c = item.get("c")
    assert isinstance(c, Sequence)
    assert (c.items[1].mark.line, c.items[1].mark.col) == (4, 12)


def test_duplicate_keys_are_recorded_with_both_places() -> None:
    (doc,), _ = compose("a: 1\nb: 2\na: 3\n", "x.yaml")
    assert isinstance(doc.root, Mapping)
    (dup,) = doc.root.duplicates
    assert (dup.key, dup.first.line, dup.second.line) == ("a", 1, 3)
    assert doc.root.get("a") == Scalar(dup.second.__class__(3, 4), Decimal(3), "3")


BOMB = "\n".join(
    [
        "apiVersion: reconciler/v1",
        "kind: Team",
        "id: team_bomb",
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]",
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]",
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]",
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]",
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]",
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]",
        "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]",
        "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]",
        "",
    ]
)


def test_billion_laughs_is_refused(check: Check) -> None:
    assert check({"bomb.yaml": BOMB}) == [
        f"budgets/bomb.yaml:8:8: too many YAML alias expansions (over "
        f"{MAX_ALIAS_EXPANSION:,} nodes reached through aliases); write the values out instead"
    ]


def test_modest_aliases_are_fine(check: Check) -> None:
    gateway = (
        "apiVersion: reconciler/v1\nkind: GatewayConfig\nconsumer_groups:\n"
        "  - {id: group_a, wallet_team_id: &team team_a}\n"
        "  - {id: group_b, wallet_team_id: *team}\n"
    )
    assert check({"gw.yaml": gateway}) == []
    state, _ = load(Path("budgets"))
    assert state.gateway is not None
    assert [g.wallet_team_id for g in state.gateway.consumer_groups] == ["team_a", "team_a"]


def test_alias_to_an_unfinished_anchor_is_refused(check: Check) -> None:
    assert check({"loop.yaml": "a: &a [1, *a]\n"}) == [
        "budgets/loop.yaml:1:11: invalid YAML: alias *a names no finished anchor"
    ]


def test_undefined_alias(check: Check) -> None:
    assert check({"x.yaml": "a: *nothing\n"}) == [
        "budgets/x.yaml:1:4: invalid YAML: alias *nothing names no finished anchor"
    ]


def test_deep_nesting_is_refused(check: Check) -> None:
    assert check({"deep.yaml": "a: " + "[" * 70 + "]" * 70 + "\n"}) == [
        "budgets/deep.yaml:1:67: nesting deeper than 64 levels"
    ]


def test_unsupported_tag(check: Check) -> None:
    lines = check({"x.yaml": "a: !python/object 1\n"})
    assert (
        "budgets/x.yaml:1:4: unsupported YAML tag !python/object; remove it (budgets files use "
        "no YAML tags; quote a value to make it text)"
    ) in lines


@pytest.mark.parametrize("loader", [yaml.CSafeLoader, yaml.SafeLoader])
def test_control_characters_after_multibyte_text(
    check: Check, monkeypatch: pytest.MonkeyPatch, loader: type
) -> None:
    monkeypatch.setattr("reconciler.config.yamlload.LOADER", loader)
    (line,) = check({"x.yaml": "a: é\nc: ééé\x07\n"})
    assert line.startswith("budgets/x.yaml:2:7: invalid YAML: ")
    assert line.endswith(" (character U+0007)")


def test_merge_keys_are_not_supported(check: Check) -> None:
    assert check({"team_a.yaml": TEAM_A + "<<: {name: x}\n"}) == [
        "budgets/team_a.yaml:5:1: teams[team_a].<<: unknown key '<<'; YAML merge keys are not "
        "supported, write the keys out"
    ]


def test_pure_python_loader_builds_the_same_state(
    repo_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo_root)
    with_c, _ = load(Path("budgets"))
    monkeypatch.setattr("reconciler.config.yamlload.LOADER", yaml.SafeLoader)
    assert loader_name() == "SafeLoader"
    with_python, _ = load(Path("budgets"))
    assert with_python == with_c


def test_pure_python_loader_reports_the_same_bomb(
    check: Check, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("reconciler.config.yamlload.LOADER", yaml.SafeLoader)
    assert check({"bomb.yaml": BOMB}) == [
        f"budgets/bomb.yaml:8:8: too many YAML alias expansions (over "
        f"{MAX_ALIAS_EXPANSION:,} nodes reached through aliases); write the values out instead"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("!!bool maybe", "maybe"),
        ('!!int ""', ""),
        ("!!str 12", Decimal(12)),
        ("! 1.5", Decimal("1.5")),
    ],
)
def test_explicit_standard_tags_are_refused_and_ignored(text: str, expected: object) -> None:
    (doc,), (problem,) = compose(f"n: {text}\n", "x.yaml")
    assert problem.message.startswith(f"unsupported YAML tag {text.split()[0]}; remove it")
    assert isinstance(doc.root, Mapping)
    node = doc.root.get("n")
    assert isinstance(node, Scalar)
    assert node.value == expected
    assert node.tag == text.split()[0]


def test_unsupported_tag_on_a_collection(check: Check) -> None:
    lines = check({"x.yaml": "a: !thing {b: 1}\n"})
    assert (
        "budgets/x.yaml:1:4: unsupported YAML tag !thing; remove it (budgets files use no YAML "
        "tags; quote a value to make it text)"
    ) in lines
