"""The checks of DESIGN §3 on documents: one document at a time, then across all of them.

``check_document`` finds the kind of a document and every problem inside it (duplicate keys,
apiVersion/kind, schema, amounts). ``check_across`` looks at the whole directory: exactly one
Organization, at most one GatewayConfig, unique team and consumer group ids, every
``wallet_team_id`` naming a declared Team, and a warning for a Team no consumer group pays into.
A duplicate names every place it occurs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from reconciler.config.amounts import check_amounts
from reconciler.config.diagnostics import Diagnostic, Severity
from reconciler.config.nodes import (
    Document,
    Mapping,
    Mark,
    Node,
    PathElement,
    Scalar,
    Sequence,
    readable_path,
    scalar_str,
)
from reconciler.config.schema import SCHEMA_FILES, check_schema, suggestion
from reconciler.text import clip

API_VERSION = "reconciler/v1"
KINDS = tuple(SCHEMA_FILES)


@dataclass(frozen=True, slots=True)
class Classified:
    """A document of a known kind; ``valid`` when it has no error. One with a wrong apiVersion
    is kept (invalid, body unchecked) so that the ids it declares still count elsewhere."""

    doc: Document
    kind: str
    prefix: str
    valid: bool

    @property
    def root(self) -> Mapping:
        assert isinstance(self.doc.root, Mapping)
        return self.doc.root


def _diag(
    doc: Document, mark: Mark, key_path: str, message: str, severity: Severity = "error"
) -> Diagnostic:
    return Diagnostic(severity, doc.file, mark.line, mark.col, key_path, message)


def _where(file: str, mark: Mark) -> str:
    return f"{file}:{mark.line}:{mark.col}"


def prefix_for(kind: str, root: Mapping) -> str:
    if kind == "Organization":
        return "organization"
    if kind == "GatewayConfig":
        return "gateway"
    return f"teams[{clip(scalar_str(root.get('id')) or '?')}]"


def _mappings(root: Node) -> list[tuple[list[PathElement], Mapping]]:
    found: list[tuple[list[PathElement], Mapping]] = []
    pending: list[tuple[list[PathElement], Node]] = [([], root)]
    while pending:
        path, node = pending.pop()
        if isinstance(node, Mapping):
            found.append((path, node))
            pending.extend(([*path, entry.key], entry.value) for entry in node.entries)
        elif isinstance(node, Sequence):
            pending.extend(([*path, index], item) for index, item in enumerate(node.items))
    return found


def _any_key_problem(node: Node) -> bool:
    """Whether a mapping under ``node`` has a key written twice or a key that is no scalar
    (cheap: no paths are built for the usual answer, no)."""
    if isinstance(node, Mapping):
        if node.duplicates or node.bad_keys:
            return True
        for entry in node.entries:
            if entry.value.__class__ is not Scalar and _any_key_problem(entry.value):
                return True
    elif isinstance(node, Sequence):
        for child in node.items:
            if child.__class__ is not Scalar and _any_key_problem(child):
                return True
    return False


def _key_problems(doc: Document, prefix: str) -> list[Diagnostic]:
    """Every key written twice and every key that is no scalar (``_any_key_problem`` first)."""
    found: list[Diagnostic] = []
    for path, mapping in _mappings(doc.root):
        for dup in mapping.duplicates:
            key_path = readable_path(prefix, doc.root, [*path, dup.key])
            message = (
                f"duplicate key '{clip(dup.key)}' at {_where(doc.file, dup.first)} and "
                f"{_where(doc.file, dup.second)}; keep one"
            )
            found.append(_diag(doc, dup.second, key_path, message))
        for mark in mapping.bad_keys:
            key_path = readable_path(prefix, doc.root, path)
            found.append(
                _diag(doc, mark, key_path, "keys must be plain strings, not lists or mappings")
            )
    return found


def _header(
    doc: Document, root: Mapping, kind_text: str | None, prefix: str
) -> tuple[str | None, list[Diagnostic]]:
    """The document's kind when apiVersion and kind are right; else the problems. ``prefix``
    is the kind's key path prefix ("" when the kind is unknown)."""
    version, kind = root.get("apiVersion"), root.get("kind")
    if kind_text in KINDS and scalar_str(version) == API_VERSION:
        return kind_text, []
    problems: list[Diagnostic] = []

    def at(key: str) -> str:
        return f"{prefix}.{key}" if prefix else key

    if version is None:
        problems.append(
            _diag(doc, root.mark, at("apiVersion"), f"missing apiVersion: {API_VERSION}")
        )
    elif scalar_str(version) != API_VERSION:
        shown = version.text if isinstance(version, Scalar) else "a collection"
        message = f"unknown apiVersion '{shown}'; this reconciler reads {API_VERSION}"
        problems.append(_diag(doc, version.mark, at("apiVersion"), message))
    expected = "Organization, Team or GatewayConfig"
    if kind is None:
        problems.append(_diag(doc, root.mark, "kind", f"missing kind: one of {expected}"))
    elif kind_text not in KINDS:
        shown = kind.text if isinstance(kind, Scalar) else "a collection"
        hint = suggestion(shown, list(KINDS))
        message = f"unknown kind '{shown}'{hint} (expected {expected})"
        problems.append(_diag(doc, kind.mark, "kind", message))
    return (kind_text if not problems else None), problems


def check_document(doc: Document) -> tuple[Classified | None, list[Diagnostic]]:
    """The document's kind (None when it cannot be told) and every problem inside it."""
    root = doc.root
    if not isinstance(root, Mapping):
        message = "a document must be a mapping with apiVersion and kind"
        return None, [_diag(doc, root.mark, "", message)]
    kind_text = scalar_str(root.get("kind"))
    known = kind_text if kind_text in KINDS else None
    prefix = prefix_for(known, root) if known is not None else ""
    kind, problems = _header(doc, root, kind_text, prefix)
    prefix = prefix or "document"
    if _any_key_problem(root):
        problems.extend(_key_problems(doc, prefix))
    if kind is None:
        # A known kind with a wrong apiVersion still declares its ids (no false "unknown
        # team" errors elsewhere); its body is not checked against this version's schema.
        return (Classified(doc, known, prefix, False) if known else None), problems
    amount_problems = check_amounts(doc, kind, prefix)
    schema_problems = check_schema(doc, kind, prefix)
    if amount_problems:
        # An amount in exponent notation that YAML 1.1 reads as text (1e3) is the amount
        # rule's to explain, not a "expected a number" type error.
        explained = {d.key_path for d in amount_problems}
        problems.extend(d for d in schema_problems if d.key_path not in explained)
        problems.extend(amount_problems)
    else:
        problems.extend(schema_problems)
    if kind == "Team":
        problems.extend(_team_flags(doc, root, prefix))
    return Classified(doc, kind, prefix, not problems), problems


def _team_flags(doc: Document, root: Mapping, prefix: str) -> list[Diagnostic]:
    protect, removed = root.entry("protect"), root.entry("removed")
    if protect is None or removed is None:
        return []
    if not (isinstance(protect.value, Scalar) and protect.value.value is True):
        return []
    if not (isinstance(removed.value, Scalar) and removed.value.value is True):
        return []
    message = "protect: true forbids the reclaim that removed: true needs; drop protect"
    return [_diag(doc, protect.key_mark, f"{prefix}.protect", message)]


def _id_node(item: Classified | Node) -> Scalar | None:
    root = item.root if isinstance(item, Classified) else item
    node = root.get("id") if isinstance(root, Mapping) else None
    return node if isinstance(node, Scalar) and isinstance(node.value, str) else None


def _once(what: str, places: list[tuple[Document, Mark, str]], fix: str) -> list[Diagnostic]:
    """An error at each place when ``what`` occurs more than once, naming every place."""
    if len(places) < 2:
        return []
    listed = ", ".join(_where(doc.file, mark) for doc, mark, _ in places)
    message = f"{what} is declared {len(places)} times ({listed}); {fix}"
    return [_diag(doc, mark, key_path, message) for doc, mark, key_path in places]


def check_across(
    docs: list[Classified], broken_ids: frozenset[str] = frozenset()
) -> list[Diagnostic]:
    """Problems that only show across documents and files. ``broken_ids`` are team ids that
    documents which could not be read or classified declare: a consumer group naming one is
    not told that the team is undeclared (the broken document has its own error)."""
    found: list[Diagnostic] = []
    orgs = [c for c in docs if c.kind == "Organization"]
    teams = [c for c in docs if c.kind == "Team"]
    gateways = [c for c in docs if c.kind == "GatewayConfig"]
    found += _once(
        "an Organization",
        [(c.doc, c.root.mark, "organization") for c in orgs],
        "keep exactly one Organization document",
    )
    found += _once(
        "a GatewayConfig",
        [(c.doc, c.root.mark, "gateway") for c in gateways],
        "keep at most one GatewayConfig document",
    )
    team_places: dict[str, list[tuple[Document, Mark, str]]] = defaultdict(list)
    team_ids = [(team, _id_node(team)) for team in teams]
    for team, id_node in team_ids:
        if id_node is not None:
            team_places[str(id_node.value)].append((team.doc, id_node.mark, f"{team.prefix}.id"))
    for team_id, places in sorted(item for item in team_places.items() if len(item[1]) > 1):
        found += _once(f"team id '{team_id}'", places, "declare each team once")
    found += _check_groups(gateways, team_ids, team_places, broken_ids)
    return found


def _groups(gateway: Classified) -> list[tuple[int, Mapping]]:
    groups = gateway.root.get("consumer_groups")
    if not isinstance(groups, Sequence):
        return []
    return [(index, item) for index, item in enumerate(groups.items) if isinstance(item, Mapping)]


def _check_groups(
    gateways: list[Classified],
    team_ids: list[tuple[Classified, Scalar | None]],
    team_places: dict[str, list[tuple[Document, Mark, str]]],
    broken_ids: frozenset[str],
) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    group_places: dict[str, list[tuple[Document, Mark, str]]] = defaultdict(list)
    paid: set[str] = set()
    removed = {
        str(node.value)
        for team, node in team_ids
        if node is not None
        and isinstance(flag := team.root.get("removed"), Scalar)
        and flag.value is True
    }
    for gateway in gateways:
        for index, group in _groups(gateway):
            group_id = _id_node(group)
            key = f"gateway.consumer_groups[{group_id.value if group_id else index}]"
            if group_id is not None:
                group_places[str(group_id.value)].append((gateway.doc, group_id.mark, f"{key}.id"))
            target = group.get("wallet_team_id")
            if not (isinstance(target, Scalar) and isinstance(target.value, str)):
                continue
            paid.add(target.value)
            if target.value in team_places and target.value not in removed:
                continue  # the usual case: no message, so no key path to spell out
            path = f"{key}.wallet_team_id"
            if target.value not in team_places and target.value not in broken_ids:
                hint = suggestion(target.value, sorted(team_places)) or (
                    "; declare it in a Team document or fix the id"
                )
                message = f"'{target.value}' names no declared Team{hint}"
                found.append(_diag(gateway.doc, target.mark, path, message))
            elif target.value in removed:
                message = (
                    f"team '{target.value}' is removed: true; this group's traffic falls "
                    "through to the organization wallet"
                )
                warning = _diag(gateway.doc, target.mark, path, message, "warning")
                # validate says it; plan/apply would repeat it on every run until the group is
                # removed, burying the warnings that need action now
                found.append(replace(warning, validate_only=True))
    for name, places in sorted(item for item in group_places.items() if len(item[1]) > 1):
        found += _once(f"consumer group id '{name}'", places, "use each id once")
    if gateways:
        for team, id_node in team_ids:
            if id_node is None or id_node.value in paid or id_node.value in removed:
                continue
            message = (
                "no consumer group maps to this team, so gateway traffic never draws on its "
                "wallet; add one to the GatewayConfig's consumer_groups"
            )
            found.append(_diag(team.doc, id_node.mark, f"{team.prefix}.id", message, "warning"))
    return found
