"""Fail closed by sentence: remove every unit that carries a failed claim, leave no hole.

A failed claim takes its whole sentence with it — or its bullet, or its table row — never
just the number ("Max drawdown widened to [number removed]" keeps the claim's shape and
invites the reader to fill it in). What a removal leaves dangling goes too: an intro line
ending in ":" or a heading with nothing left under it, a table with no rows, runs of blank
lines.

Example::

    >>> out = remove_units(text, failing, units(text))  # doctest: +SKIP
    >>> out.text, out.position(12)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from huracan.council.segments import Unit

__all__ = ["Cleaned", "remove_units"]

_INTRO = re.compile(r"(?::\s*$)|(?:^\s*#{1,6}\s)")
_LIST_OR_ROW = re.compile(r"^\s*(?:[-*•+]\s|\d{1,2}[.)]\s|\|)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}")


@dataclass(frozen=True)
class Cleaned:
    """The text after removal, and where each surviving character of the old text went."""

    text: str
    _map: dict[int, int]

    def position(self, old: int) -> int | None:
        """The new index of old index ``old`` (None: removed)."""
        return self._map.get(old)


def _mark_units(text: str, keep: list[bool], failing: Sequence[Unit], all_units: Sequence[Unit]) -> None:
    bad = {(u.start, u.end) for u in failing}
    by_line: dict[int, list[Unit]] = {}
    for u in all_units:
        by_line.setdefault(u.line_start, []).append(u)
    for u in failing:
        same_line = by_line.get(u.line_start, [u])
        if u.kind in ("row", "heading") or all((v.start, v.end) in bad for v in same_line):
            a, b = u.line_start, u.line_end
            if b < len(text) and text[b] == "\n":
                b += 1
        else:
            a, b = u.start, u.end
            while b < len(text) and text[b] in " \t":
                b += 1
            if b >= len(text) or text[b] in "\r\n":
                while a > 0 and text[a - 1] in " \t":
                    a -= 1
        for i in range(a, b):
            keep[i] = False


def _lines(pairs: list[tuple[str, int]]) -> list[list[tuple[str, int]]]:
    lines: list[list[tuple[str, int]]] = [[]]
    for ch, i in pairs:
        lines[-1].append((ch, i))
        if ch == "\n":
            lines.append([])
    return [ln for ln in lines if ln]


def _content(line: list[tuple[str, int]]) -> str:
    return "".join(ch for ch, _ in line).rstrip("\r\n")


Line = list[tuple[str, int]]


def _tidy(lines: list[tuple[Line, bool]]) -> list[Line]:
    """Drop what a removal left dangling: empty intros and headings, bare tables, blank runs.

    Each line comes with ``touched``: whether something right after it was removed (only
    such an intro or table may go; one that was empty in the draft stays as written).
    """
    changed = True
    while changed:
        changed = False
        for i, (line, touched) in enumerate(lines):
            text = _content(line)
            if not touched or not text.strip():
                continue
            rest = [_content(ln) for ln, _ in lines[i + 1 :]]
            block = rest[: next((k for k, r in enumerate(rest) if not r.strip()), len(rest))]
            heading = text.lstrip().startswith("#")
            if heading:
                nxt = next((r for r in rest if r.strip()), None)
                dangling = nxt is None or nxt.lstrip().startswith("#")
            elif _INTRO.search(text):
                dangling = not block or not _LIST_OR_ROW.match(block[0])
            elif text.lstrip().startswith("|") and block and _TABLE_RULE.match(block[0]):
                # a table header (its |---| rule follows) whose rows were all removed
                prev = _content(lines[i - 1][0]) if i else ""
                rows = [r for r in block if r.lstrip().startswith("|") and not _TABLE_RULE.match(r)]
                dangling = not rows and not prev.lstrip().startswith("|")
                if dangling:
                    del lines[i + 1 : i + 1 + sum(1 for r in block if _TABLE_RULE.match(r))]
            else:
                dangling = False
            if dangling:
                lines.pop(i)
                changed = True
                break
    out: list[Line] = []
    for line, _ in lines:
        blank = not _content(line).strip()
        if blank and (not out or not _content(out[-1]).strip()):
            continue
        out.append(line)
    while out and not _content(out[-1]).strip():
        out.pop()
    return out


def remove_units(text: str, failing: Sequence[Unit], all_units: Sequence[Unit]) -> Cleaned:
    """``text`` without the ``failing`` units (and what they leave dangling)."""
    keep = [True] * len(text)
    _mark_units(text, keep, failing, all_units)
    lines = _lines([(text[i], i) for i in range(len(text)) if keep[i]])
    gaps = [i for i in range(len(text)) if not keep[i]]
    marked: list[tuple[Line, bool]] = []
    for k, ln in enumerate(lines):
        nxt = lines[k + 1][0][1] if k + 1 < len(lines) else len(text)
        marked.append((ln, any(ln[0][1] <= g < nxt for g in gaps)))
    flat: Line = []
    for ln in _tidy(marked):
        body = [p for p in ln if p[0] not in "\r\n"]
        while body and body[-1][0] in " \t":  # a removal at the end of a line leaves no trailing space
            body.pop()
        flat += body + [p for p in ln if p[0] == "\n"]
    out = "".join(ch for ch, _ in flat).rstrip()
    mapping = {i: k for k, (_, i) in enumerate(flat) if k < len(out)}
    return Cleaned(out, mapping)
