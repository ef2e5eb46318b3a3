"""Every ``uses:`` names a full commit SHA with its released tag in a comment.

A tag can be moved to other code after review; a commit cannot. The comment keeps the pin
readable and lets update tools bump it. The in-repository action uses GitHub's self-repository
form (``$/…``), which runs the code of the workflow's own commit.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.ci.workflows import ACTION, RECONCILER_ACTION, WORKFLOW_FILES

USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<rest>.*)$")
PINNED = re.compile(
    r"^(?P<action>[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+)@(?P<sha>[0-9a-f]{40})"
    r" # (?P<tag>v\d+\.\d+\.\d+)$"
)
FILES = [*WORKFLOW_FILES, ACTION]


def uses_lines(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [m["rest"].strip() for line in lines if (m := USES.match(line))]


def is_pinned(ref: str) -> bool:
    return ref == RECONCILER_ACTION or PINNED.match(ref) is not None


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_uses_is_a_commit_sha_with_its_tag(path: Path) -> None:
    refs = uses_lines(path)
    assert refs, f"{path.name} uses no action"
    assert [ref for ref in refs if not is_pinned(ref)] == []


def test_one_action_is_pinned_to_one_commit_everywhere() -> None:
    """The same action at two commits would mean one pin was bumped and the other forgotten."""
    seen: dict[str, set[tuple[str, str]]] = {}
    for path in FILES:
        for ref in uses_lines(path):
            if m := PINNED.match(ref):
                seen.setdefault(m["action"], set()).add((m["sha"], m["tag"]))
    assert seen
    assert {action: pins for action, pins in seen.items() if len(pins) > 1} == {}


@pytest.mark.parametrize(
    "ref",
    [
        "actions/checkout@v4",
        "actions/checkout@v4.4.0",
        "actions/checkout@11d5960a326750d5838078e36cf38b85af677262",
        "actions/checkout@11d5960a # v4.4.0",
        "actions/checkout@main # v4.4.0",
        "./.github/actions/reconciler",
    ],
)
def test_a_tag_a_branch_a_short_sha_or_a_bare_sha_is_refused(ref: str) -> None:
    assert not is_pinned(ref)
