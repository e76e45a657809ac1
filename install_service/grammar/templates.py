"""The ``{{ ... }}`` syntax of block templates: where each expression starts and ends.

``}}`` inside a JSONata string literal (``"a}}"``), a backquoted name, or closing an object
literal opened inside the template (``{{ {"a": {"b": 1}} }}``) does not end the template.
Evaluating the expressions is ``grammar.expressions``' work.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

OPEN, CLOSE = "{{", "}}"
_QUOTES = "\"'`"


class TemplateSyntaxError(ValueError):
    """An unterminated ``{{`` or an empty ``{{ }}``."""


@dataclass(frozen=True, slots=True)
class Expression:
    """One ``{{ source }}``; ``str()`` shows it as written (long sources cut)."""

    source: str

    def __str__(self) -> str:
        shown = self.source if len(self.source) <= 80 else self.source[:77] + "..."
        return f"{OPEN} {shown} {CLOSE}"


@functools.lru_cache(maxsize=2048)
def parse_template(text: str) -> tuple[str | Expression, ...]:
    """``text`` as literal text and expressions, in order.

    Raises:
        TemplateSyntaxError: an unterminated ``{{`` or an empty ``{{ }}``.
    """
    parts: list[str | Expression] = []
    start = 0
    while (open_at := text.find(OPEN, start)) != -1:
        if open_at > start:
            parts.append(text[start:open_at])
        close_at = _closing(text, open_at + len(OPEN))
        if close_at is None:
            raise TemplateSyntaxError(f"unterminated {OPEN} in {text[open_at:][:80]!r}")
        source = text[open_at + len(OPEN) : close_at].strip()
        if not source:
            raise TemplateSyntaxError(f"empty {OPEN} {CLOSE}")
        parts.append(Expression(source))
        start = close_at + len(CLOSE)
    if start < len(text):
        parts.append(text[start:])
    return tuple(parts)


def _closing(text: str, at: int) -> int | None:
    """Index of the ``}}`` ending the expression that starts at ``at``: outside JSONata
    string literals and backquoted names, and not closing a ``{`` opened inside."""
    depth, quote, i = 0, "", at
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in _QUOTES:
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0 and text.startswith(CLOSE, i):
                return i
            depth = max(0, depth - 1)
        i += 1
    return None


def is_template(text: str) -> bool:
    """True when ``text`` holds at least one ``{{``."""
    return OPEN in text


def as_template(text: str) -> str:
    """``text`` when it holds a template, else ``text`` as one (a bare JSONata expression)."""
    return text if is_template(text) else f"{OPEN} {text.strip()} {CLOSE}"


def count_expressions(value: Any) -> int:
    """How many ``{{`` are in ``value`` (text, or dicts and lists of it, nested)."""
    if isinstance(value, str):
        return value.count(OPEN)
    if isinstance(value, Mapping):
        return sum(count_expressions(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_expressions(v) for v in value)
    return 0
