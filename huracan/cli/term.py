"""Untrusted text on a terminal: shown, never obeyed (issue 13).

Event fields, plugin errors, job errors and model-written text reach the CLI from
outside. Printed raw, Rich reads ``[...]`` in them as markup (colours, ``[link=…]`` to an
outside site) and the terminal obeys what Rich passes on: ESC sequences (colours, cursor
moves, OSC-8 hyperlinks, window titles), NUL, DEL, C1 controls, and bidi overrides that
reorder what the reader sees. Every CLI renderer passes text it did not write through:

- :func:`safe` when the text goes inside a markup string
  (``console.print(f"[bold]{safe(ev.symbol)}[/]")``);
- :func:`cell` for a table cell or a value printed alone: a :class:`rich.text.Text`,
  which Rich never parses as markup; :func:`cells` for a whole row.

Both show each control character as a visible escape (ESC becomes ``\\x1b``) and cut
text longer than ``limit`` with ``…``, so a 5 MB field cannot flood a screen.

>>> safe("[link=https://evil.example]x[/link]\\x1b[31m")
'\\\\[link=https://evil.example]x\\\\[/link]\\\\x1b[31m'
>>> cell("BTC\\x00USD").plain
'BTC\\\\x00USD'
"""

from __future__ import annotations

import re
from typing import Any

from rich.markup import escape
from rich.text import Text

__all__ = ["MAX_CELL", "MAX_TEXT", "cell", "cells", "clean", "safe"]

#: Characters of one table cell before it is cut.
MAX_CELL = 200
#: Characters of one printed line of free text before it is cut.
MAX_TEXT = 2_000

# C0 controls but tab (and newline, when a caller allows lines), DEL, C1 controls, and the
# bidirectional formatting characters of "Trojan Source" (CVE-2021-42574).
_CONTROLS = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROLS_KEEP_NL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(value: Any, limit: int = MAX_TEXT, *, lines: bool = False) -> str:
    """``value`` as text with every control character made visible, cut at ``limit`` characters.

    ``lines=True`` keeps newlines (for multi-line free text such as model-written notes).
    """
    text = "" if value is None else str(value)
    if len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
    return (_CONTROLS_KEEP_NL if lines else _CONTROLS).sub(_visible, text)


def safe(value: Any, limit: int = MAX_TEXT, *, lines: bool = False) -> str:
    """:func:`clean` text with Rich markup escaped, to place inside a markup string."""
    return escape(clean(value, limit, lines=lines))


def cell(value: Any, limit: int = MAX_CELL, *, style: str = "", lines: bool = False) -> Text:
    """:func:`clean` text as a Rich ``Text`` (never parsed as markup): a table cell or a lone value."""
    return Text(clean(value, limit, lines=lines), style=style)


def cells(*values: Any) -> list[Text]:
    """A table row: each value a :func:`cell`; a ``Text`` passes as is (styled by its maker)."""
    return [v if isinstance(v, Text) else cell(v) for v in values]
