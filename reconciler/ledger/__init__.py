"""Ledger backends and how a ledger URL picks one.

Precedence (DESIGN §7): ``--ledger URL`` > ``KEEPTRUSTS_API_URL`` > ``ledger:`` in the
Organization document. ``sqlite:///relative.db`` is relative to ``base_dir`` (the repository root
for a URL from the Organization document, the working directory for a flag or the environment);
``sqlite:////abs.db`` is absolute. ``http(s)://`` is the Keeptrusts API or a sandbox server;
plain ``http://`` to a host that is not loopback is refused unless ``insecure``.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from reconciler.errors import LedgerConfigError
from reconciler.ledger.base import Ledger
from reconciler.periods import Clock

ENV_URL = "KEEPTRUSTS_API_URL"
ENV_TOKEN = "KEEPTRUSTS_API_TOKEN"


@dataclass(frozen=True, slots=True)
class LedgerTarget:
    """A resolved ledger URL and where it came from (``flag``, ``env`` or ``organization``)."""

    url: str
    source: str
    base_dir: Path


def resolve_ledger_url(
    flag: str | None,
    org_ledger: str | None,
    *,
    repo_root: Path,
    environ: Mapping[str, str] | None = None,
) -> LedgerTarget:
    env = os.environ if environ is None else environ
    if flag:
        return LedgerTarget(flag, "flag", Path.cwd())
    if env.get(ENV_URL):
        return LedgerTarget(env[ENV_URL], "env", Path.cwd())
    if org_ledger:
        return LedgerTarget(org_ledger, "organization", repo_root)
    raise LedgerConfigError(
        "no ledger: pass --ledger URL, set KEEPTRUSTS_API_URL, or add `ledger:` to the "
        "Organization document"
    )


def sqlite_path(url: str, base_dir: Path) -> Path:
    """The database path of a ``sqlite:///`` URL (three slashes relative, four absolute)."""
    if not url.startswith("sqlite:///"):
        raise LedgerConfigError(
            f"{url!r} is not a sqlite:/// URL (e.g. sqlite:///.reconciler/sandbox.db)"
        )
    rest = url[len("sqlite:///") :]
    if not rest or rest == "/":
        raise LedgerConfigError(f"{url!r} names no database file")
    path = Path(rest)
    return path if path.is_absolute() else base_dir / path


def is_loopback(host: str) -> bool:
    if host in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def open_ledger(
    target: LedgerTarget,
    *,
    insecure: bool = False,
    clock: Clock | None = None,
    environ: Mapping[str, str] | None = None,
) -> Ledger:
    """Open the ledger a resolved URL names. The token comes from ``KEEPTRUSTS_API_TOKEN``."""
    url = target.url
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        from reconciler.ledger.sqlite import SqliteLedger

        return SqliteLedger(sqlite_path(url, target.base_dir), clock=clock, actor="reconciler")
    if scheme in {"http", "https"}:
        host = urlsplit(url).hostname or ""
        if scheme == "http" and not insecure and not is_loopback(host):
            raise LedgerConfigError(
                f"refusing plain http:// to {host}: the token and money movements would travel "
                "unencrypted; use https:// or pass --insecure"
            )
        from reconciler.ledger.http import HttpLedger

        env = os.environ if environ is None else environ
        return HttpLedger.from_url(url, token=env.get(ENV_TOKEN) or None, token_name=ENV_TOKEN)
    raise LedgerConfigError(
        f"unsupported ledger URL {url!r}: use sqlite:///path.db, http:// (loopback) or https://"
    )
