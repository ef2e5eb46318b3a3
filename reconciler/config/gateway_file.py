"""The GatewayConfig of one file, checked by the same pipeline as a budgets directory.

``sandbox serve --gateway-config FILE`` takes either a budgets file that holds the
``GatewayConfig`` document or the fragment ``reconciler gateway render`` prints (the same keys
without ``apiVersion``/``kind``). Either way the document goes through ``yamlload`` and
``checks`` (schema, booleans, duplicate keys, duplicate consumer group ids) and ``build``, so a
file is read exactly as ``reconciler validate`` reads it. ``wallet_team_id`` is not checked
against Team documents: those live in other files.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from reconciler.config.build import build_gateway
from reconciler.config.checks import API_VERSION, Classified, check_across, check_document
from reconciler.config.diagnostics import Diagnostic, display_path, plural
from reconciler.config.files import read_file
from reconciler.config.nodes import Document, Entry, Mapping, Scalar, Sequence, scalar_str
from reconciler.config.yamlload import compose
from reconciler.errors import ConfigError
from reconciler.model import GatewayConfig

KIND = "GatewayConfig"


def load_gateway_file(path: Path) -> GatewayConfig:
    """The file's GatewayConfig; ConfigError naming the first problem (and how many more)."""
    source = read_file(path)
    if isinstance(source, Diagnostic):
        raise ConfigError(str(source), (source,))
    documents, problems = compose(source.text, source.file)
    errors = [d for d in problems if d.severity == "error"]
    found: list[Classified] = []
    for document in documents:
        if not _is_gateway(document):
            continue
        item, doc_problems = check_document(_with_header(document))
        errors += [d for d in doc_problems if d.severity == "error"]
        if item is not None:
            found.append(item)
    targets = frozenset(_targets(found))
    errors += [d for d in check_across(found, targets) if d.severity == "error"]
    if errors:
        more = f" (and {plural(len(errors) - 1, 'more error')})" if len(errors) > 1 else ""
        raise ConfigError(f"{errors[0]}{more}", tuple(errors))
    if not found:
        raise ConfigError(
            f"{display_path(path)}: no GatewayConfig document (kind: GatewayConfig, or the "
            "consumer_groups/cost_tracking fragment `reconciler gateway render` prints)"
        )
    return build_gateway(found[0])


def _is_gateway(document: Document) -> bool:
    root = document.root
    if not isinstance(root, Mapping):
        return False
    kind = root.get("kind")
    if kind is not None:
        return scalar_str(kind) == KIND
    return root.get("consumer_groups") is not None or root.get("cost_tracking") is not None


def _with_header(document: Document) -> Document:
    """The rendered fragment as a GatewayConfig document: the header it leaves out is added
    at the document's own position, so every message keeps the file's lines."""
    root = document.root
    assert isinstance(root, Mapping)
    if root.get("kind") is not None or root.get("apiVersion") is not None:
        return document
    mark = root.mark
    header = (
        Entry("apiVersion", mark, Scalar(mark, API_VERSION, API_VERSION)),
        Entry("kind", mark, Scalar(mark, KIND, KIND)),
    )
    body = Mapping(mark, (*header, *root.entries), root.size + 2, root.duplicates, root.bad_keys)
    return replace(document, root=body)


def _targets(items: list[Classified]) -> list[str]:
    """Every ``wallet_team_id`` the documents name (their Teams are declared elsewhere)."""
    names: list[str] = []
    for item in items:
        groups = item.root.get("consumer_groups")
        for group in groups.items if isinstance(groups, Sequence) else ():
            target = group.get("wallet_team_id") if isinstance(group, Mapping) else None
            if isinstance(target, Scalar) and isinstance(target.value, str):
                names.append(target.value)
    return names
