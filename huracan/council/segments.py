"""Where a text's sentences, bullets, table rows and clauses are.

What cannot be verified is removed whole (issue 11): a sentence, or a bullet, or a
table row — never a number alone, so no "[number removed]" hole keeps a claim's shape.
:func:`units` finds those removable units; :func:`clauses` splits a unit where a new
claim may begin (``;``, a spaced dash, ", while", ", but", ", and", "and the …").

Example::

    >>> [u.text(t) for u in units(t := "AUC held. ECE fell; Brier too.\\n- a bullet")]
    ['AUC held.', 'ECE fell; Brier too.', '- a bullet']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Unit", "clauses", "units"]

_ABBREV = re.compile(r"(?:\b(?:e\.g|i\.e|vs|approx|etc|cf|incl|no|est|avg|min|max)\.|\b[A-Z]\.)$", re.I)
_SENT_END = re.compile(r"[.!?]+[\"')\]]*(?=\s+|$)")
_BULLET = re.compile(r"^[ \t]*(?:[-*•+][ \t]+|\d{1,2}[.)][ \t]+)")
_TABLE = re.compile(r"^[ \t]*\|")
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{2,}")
_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]")
_CLAUSE_BREAK = re.compile(
    r";|\s[—–]\s|\s--\s|,\s+(?:while|whereas|but|although|though|yet|and|so|whilst)\b|\s(?:but|while|whereas)\s",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Unit:
    """A removable piece of text: ``kind`` is sentence, bullet, row or heading."""

    start: int
    end: int
    kind: str
    #: index of the line's block (a paragraph, a list item, a table)
    line_start: int
    line_end: int
    #: for a table row: the header cells' (start, end) spans, in column order
    header: tuple[tuple[int, int], ...] = ()

    def text(self, text: str) -> str:
        return text[self.start : self.end]


def _sentences(text: str, s0: int, s1: int, kind: str, line: tuple[int, int]) -> list[Unit]:
    out: list[Unit] = []
    pos = s0
    while pos < s1 and text[pos] in " \t":
        pos += 1
    for m in _SENT_END.finditer(text, pos, s1):
        end = m.end()
        if _ABBREV.search(text[max(pos, m.start() - 8) : m.start() + 1]):
            continue
        nxt = text[end:s1].lstrip()
        if nxt and not (nxt[0].isupper() or nxt[0].isdigit() or nxt[0] in "\"'(*[-–—+−$"):
            continue  # "… 0.7 vs. the …": not a sentence end
        if text[pos:end].strip():
            out.append(Unit(pos, end, kind, *line))
        pos = end
        while pos < s1 and text[pos] in " \t":
            pos += 1
    if text[pos:s1].strip():
        out.append(Unit(pos, pos + len(text[pos:s1].rstrip()), kind, *line))
    return out


def _is_rule(line: str) -> bool:
    return bool(_TABLE.match(line)) and bool(_TABLE_RULE.match(line.replace("|", " ", 1)))


def _cells(text: str, s0: int, s1: int) -> tuple[tuple[int, int], ...]:
    cells = []
    pos = s0
    for m in re.finditer(r"\|", text[s0:s1]):
        at = s0 + m.start()
        if text[pos:at].strip():
            cells.append((pos, at))
        pos = at + 1
    if text[pos:s1].strip():
        cells.append((pos, s1))
    return tuple(cells)


def units(text: str) -> list[Unit]:
    """Every removable unit of ``text`` in order: sentences, bullets, table rows, headings."""
    out: list[Unit] = []
    header: tuple[tuple[int, int], ...] = ()
    pos = 0
    in_table = False
    lines = text.splitlines(keepends=True)
    for k, line in enumerate(lines):
        s0, s1 = pos, pos + len(line.rstrip("\r\n"))
        pos += len(line)
        if not text[s0:s1].strip():
            in_table = False
            continue
        if _TABLE.match(text[s0:s1]):
            if _is_rule(text[s0:s1]):
                continue
            # A header is the first line of a table followed by its |---| rule; a table
            # written without one is rows only (a header-less analyst table).
            if not in_table and k + 1 < len(lines) and _is_rule(lines[k + 1]):
                in_table, header = True, _cells(text, s0, s1)
                out.append(Unit(s0, s1, "heading", s0, s1))
                continue
            if not in_table:
                in_table, header = True, ()
            out.append(Unit(s0, s1, "row", s0, s1, header))
            continue
        in_table = False
        if _HEADING.match(text[s0:s1]):
            out.append(Unit(s0, s1, "heading", s0, s1))
            continue
        kind = "bullet" if _BULLET.match(text[s0:s1]) else "sentence"
        out += _sentences(text, s0, s1, kind, (s0, s1))
    return out


def clauses(text: str, unit: Unit, extra_breaks: list[int] = ()) -> list[tuple[int, int]]:  # type: ignore[assignment]
    """The clauses of a unit as (start, end) spans; ``extra_breaks`` are more split points."""
    if unit.kind == "row":
        return [(unit.start, unit.end)]
    cuts = sorted({m.start() for m in _CLAUSE_BREAK.finditer(text, unit.start, unit.end)} | set(extra_breaks))
    spans = []
    prev = unit.start
    for c in cuts:
        if unit.start < c < unit.end:
            spans.append((prev, c))
            prev = c
    spans.append((prev, unit.end))
    return [s for s in spans if text[s[0] : s[1]].strip()]
