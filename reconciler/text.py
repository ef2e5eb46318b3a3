"""Message helpers: the one rule for showing untrusted text, and the one rule for shortening it.

Budgets files come from pull requests and ledger notes from anyone with console access (a real
Keeptrusts note may hold anything), so every text or markdown output passes such text through
:func:`printable`: each character that a terminal would act on or not show (C0/C1 controls such as
ESC, CR, LF and U+0085, the separators U+2028/U+2029, bidi overrides, zero-width and other format
characters, undecodable bytes kept as lone surrogates) is written visibly as ``repr`` writes it
(``\\x1b``, ``\\u2028``, ``\\udcff``). A note cannot then forge a table row or reorder a line.
"""

from __future__ import annotations

ELLIPSIS = "\u2026"
CLIP = 40  # characters of a value echoed in a message


def printable(text: str | None) -> str:
    """``text`` with every character that ``str.isprintable`` rejects escaped visibly."""
    if not text:
        return ""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def is_printable(text: str) -> bool:
    """True when :func:`printable` would leave ``text`` unchanged (the sandbox's note rule)."""
    return text.isprintable()


def clip(text: str, limit: int = CLIP) -> str:
    """``text`` shortened for a one-line message, keeping both ends (``1111…1111``)."""
    if len(text) <= limit:
        return text
    half = (limit - 1) // 2
    return f"{text[:half]}{ELLIPSIS}{text[-half:]}"


def encodable(text: str) -> str:
    """``text`` with only lone surrogates (undecodable file-name bytes) escaped as
    :func:`printable` escapes them: for JSON, which carries every other character exactly."""
    if not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        return text
    return "".join(printable(ch) if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)
