"""Where a number sits, and what that says about it: table cells and columns, parentheses,
ranges (issue 11, red-team round).

* A number's cue words stop at its table cell's bar and do not reach into a parenthesis
  that opens after it ("| 0.0 % | min 15 % |": "min" is the next cell's; "0.691 (interval
  0.655–0.727)": "interval" is the parenthesis's) — :func:`cell`.
* A table cell's number is what its column's header says ("n", "yesterday", "target min");
  in a row without a header, a whole number after a rate's value is its sample size —
  :func:`column_roles`.
* Both ends of a range are read from the words around the whole range; a range with no
  such words is an interval or a band of targets, never one value — :func:`is_range`,
  :func:`range_roles`.
"""

from __future__ import annotations

import re

from huracan.council.cues import Roles, roles_for
from huracan.council.numbers import NumberToken
from huracan.council.segments import Unit

__all__ = ["cell", "column_roles", "is_range", "range_roles"]

_RANGEISH = frozenset({"low", "high", "target_min", "target_max", "target_ideal", "level"})
_BAND = frozenset({"low", "high", "target_min", "target_max"})


def is_range(sep: str, first: Roles) -> bool:
    """ "0.65–0.70", "5.3 % to 8.4 %" after interval words: two ends of one range."""
    if re.match(r"^\s?[–—-]\s?$", sep):
        return True
    return first.specific and first.fields <= _RANGEISH and bool(re.match(r"^\s?(?:to|and)\s?$", sep))


def range_roles(first: Roles, whole: Roles) -> Roles:
    fields = set(first.fields if first.specific else ()) | set(whole.fields if whole.specific else ())
    if not fields or fields <= {"value"}:
        return Roles(_BAND, specific=True)
    if fields & {"low", "high"}:
        fields |= {"target_min", "target_max"}  # "the desk's 20–200 range": a band of targets too
    return Roles(frozenset(fields), specific=True)


_N_HEADER = re.compile(
    r"^\W*(?:n|count|obs(?:ervations)?|samples?|sample size|trades|signals|blocks|decisions)\W*$", re.I
)


def column_roles(
    text: str, unit: Unit, tok: NumberToken, roles: Roles, metric_unit: str, after_another: bool,
    previous_day: bool,
) -> Roles:  # fmt: skip
    """A table cell's number is what its column's header says ("n", "yesterday", "target min");
    in a row without a header, a whole number after a rate's value is its sample size
    ("| Shadow win rate | 35.5 % | 62 | 24.7–47.9 % |")."""
    col = text[unit.start : tok.start].count("|") - (1 if text[unit.start : tok.start].lstrip().startswith("|") else 0)
    if unit.header and 0 <= col < len(unit.header):
        head = text[unit.header[col][0] : unit.header[col][1]].strip()
        if _N_HEADER.match(head) and metric_unit != "count":
            return Roles(frozenset({"n"}), specific=True)
        said = roles_for(tok, head + " ", "", head, metric_unit, previous_day)
        return said if said.specific else roles
    whole = tok.unit == "" and tok.kind == "number" and "." not in tok.text and not tok.signed
    if not unit.header and whole and metric_unit != "count" and after_another:
        return Roles(frozenset({"n"}), specific=True)
    return roles


def cell(context: str, before: bool = False) -> str:
    """The words that can describe a number: not across a table cell's bar, and not into a
    parenthesis that opens after it ("0.691 (interval 0.655–0.727)": "interval" is the
    parenthesis's, "| 0.0 % | min 15 % |": "min" is the next cell's)."""
    if before:
        return context[context.rfind("|") + 1 :]
    cut = context.find("|")
    context = context if cut < 0 else context[:cut]
    # a closed parenthesis without numbers is a label ("55.2 % (shadow win rate) for …"): kept
    paren = re.search(r"\((?![^()\d]*\))", context)
    return context if paren is None else context[: paren.start()]
