"""Ledger backends and how a ledger URL picks one.

Precedence (DESIGN §7): ``--ledger URL`` > ``KEEPTRUSTS_API_URL`` > ``ledger:`` in the
Organization document. ``sqlite:///relative.db`` is relative to ``base_dir`` (the repository root
for a URL from the Organization document, the working directory for a flag or the environment);
``sqlite:////abs.db`` is absolute. ``http(s)://`` is the Keeptrusts API or a sandbox server;
plain ``http://`` to a host that is not loopback is refused unless ``insecure``.

An ``http(s)://`` URL is checked where it is resolved (:func:`check_http_url`): a bad port, a
broken IPv6 literal or a missing host is one line, exit 1, not a crash or five retries. A URL
with credentials (``https://user:secret@host``) is refused: the token belongs in
``KEEPTRUSTS_API_TOKEN``, and the userinfo is never printed (:func:`redacted`).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from reconciler.errors import LedgerConfigError
from reconciler.ledger.base import Ledger
from reconciler.text import clip, printable

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
        return _checked(LedgerTarget(flag, "flag", Path.cwd()))
    if env.get(ENV_URL):
        return _checked(LedgerTarget(env[ENV_URL], "env", Path.cwd()))
    if org_ledger:
        return _checked(LedgerTarget(org_ledger, "organization", repo_root))
    raise LedgerConfigError(
        "no ledger: pass --ledger URL, set KEEPTRUSTS_API_URL, or add `ledger:` to the "
        "Organization document"
    )


_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")
_SOURCE = {"flag": "--ledger", "env": ENV_URL, "organization": "the Organization's ledger:"}


def redacted(url: str) -> str:
    """``url`` as it may be shown: any userinfo replaced by ``***``, escaped and clipped."""
    return clip(printable(_USERINFO.sub(r"\1***@", url)), 120)


def scheme_of(url: str) -> str:
    """The scheme of ``url`` in lower case, or ``""`` (never raises)."""
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", url)
    return match[1].lower() if match else ""


def _checked(target: LedgerTarget) -> LedgerTarget:
    if scheme_of(target.url) in {"http", "https"}:
        check_http_url(target.url, _SOURCE[target.source])
    return target


def check_http_url(url: str, source: str = "--ledger") -> None:
    """LedgerConfigError (one line, userinfo never shown) unless ``url`` is usable over HTTP."""
    shown = f"ledger URL {redacted(url)!r} ({source})"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it is what validates it
    except ValueError as exc:
        if "port" in str(exc).lower():
            problem = "has a port that is not a number from 0 to 65535"
        else:
            problem = f"is not a valid URL ({str(exc).rstrip('.')})"
        raise LedgerConfigError(
            f"{shown} {problem}; e.g. https://api.example.com or http://127.0.0.1:8080"
        ) from exc
    if parts.username is not None or parts.password is not None:
        raise LedgerConfigError(
            f"{shown} carries credentials; remove them and put the token in {ENV_TOKEN}"
        )
    if not parts.hostname:
        raise LedgerConfigError(f"{shown} names no host; e.g. https://api.example.com")


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


def open_http(
    target: LedgerTarget,
    *,
    insecure: bool = False,
    environ: Mapping[str, str] | None = None,
) -> Ledger:
    """Open the Keeptrusts API (or a sandbox server) an http(s) URL names; the token comes from
    ``KEEPTRUSTS_API_TOKEN``. Other schemes are refused: ``sqlite:///`` is the sandbox, opened by
    ``workflow.open_ledger`` (the client never imports the sandbox)."""
    url = target.url
    scheme = scheme_of(url)
    if scheme in {"http", "https"}:
        check_http_url(url, _SOURCE.get(target.source, "--ledger"))
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
        f"unsupported ledger URL {redacted(url)!r}: use sqlite:///path.db, http:// (loopback) "
        "or https://"
    )
