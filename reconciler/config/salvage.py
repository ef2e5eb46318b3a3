"""The team ids that documents which could not be read or classified still declare.

A Team file with a YAML error, a byte that is not UTF-8 or a misspelled ``kind`` is reported
where it is broken. Its id is still meant to be declared, so a consumer group that maps to it
should not get a second, wrong error ("names no declared Team"). These ids only ever excuse
that follow-on error: the directory is invalid anyway because of the broken document.

For a file that did not parse, the top-level ``id:`` and ``kind:`` lines are read from the text
line by line (only plain block style at column 0); an id that cannot be read that way is not
declared, and the follow-on error stays.
"""

from __future__ import annotations

import re

from reconciler.config.nodes import Document, Mapping, scalar_str
from reconciler.config.schema import closest

_KINDS = ("Organization", "Team", "GatewayConfig")
_SEPARATOR = re.compile(r"^(?:---|\.\.\.)(?:[ \t].*)?$", re.MULTILINE)
_TOP_KEY = re.compile(r"^(id|kind)[ \t]*:[ \t]*(?P<value>.*?)(?:[ \t]+#.*)?[ \t]*$", re.MULTILINE)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")


def may_be_team(kind: str | None) -> bool:
    """Whether a document of this (missing, misspelled) kind could be a Team: yes unless the
    kind is, or is close to, Organization or GatewayConfig."""
    if kind is None:
        return True
    close = closest(kind, list(_KINDS))
    return close is None or close == "Team"


def document_team_id(doc: Document) -> str | None:
    """The id of a composed document whose kind could not be told, when it may be a Team."""
    root = doc.root
    if not isinstance(root, Mapping) or not may_be_team(scalar_str(root.get("kind"))):
        return None
    return scalar_str(root.get("id"))


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def text_team_ids(text: str) -> set[str]:
    """The ids the top-level ``id:`` lines of ``text`` declare, document by document."""
    found: set[str] = set()
    for chunk in _SEPARATOR.split(text):
        keys: dict[str, str] = {}
        for match in _TOP_KEY.finditer(chunk):
            keys.setdefault(match.group(1), _unquote(match.group("value")))
        team_id = keys.get("id")
        if team_id and _ID.fullmatch(team_id) and may_be_team(keys.get("kind")):
            found.add(team_id)
    return found
