"""Why a metric has its status, in words a desk reads on a phone.

A fired alert rule is explained from its parsed tree
(:mod:`huracan.analytics.metric_rules`), never by printing the rule: the numbers are
the metric's own, formatted by :func:`huracan.analytics.format.format_number` in the
metric's unit, and guards such as ``n >= 20`` become "on 58 samples".

Example::

    >>> from huracan.analytics.metric_rules import parse_rule
    >>> explain_rule(parse_rule("value < 0 and n >= 20"), {"value": -35.9, "n": 58}, "bps", 1)
    'below 0.0 bps on 58 samples'
    >>> explain_rule(parse_rule("n >= 20 and (high < 0 or (value < 0 and baseline_7d < 0))"),
    ...              {"value": -3.0, "high": 4.0, "baseline_7d": -1.5, "n": 40}, "bps", 1)
    'below 0.0 bps, as is the 7-day mean (-1.5 bps), on 40 samples'
    >>> target_reason(0.452, 0.87, None, "fraction", 1)
    'below the 87.0 % target'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from huracan.analytics.format import format_number
from huracan.analytics.metric_rules import Node, Rule, evaluate_node, holds

__all__ = ["explain_rule", "target_reason"]

Env = Mapping[str, float | int | None]

_SUBJECT = {
    "value": "the value",
    "n": "the sample size",
    "low": "the 95 % interval's low end",
    "high": "the 95 % interval's high end",
    "baseline_1d": "yesterday's value",
    "baseline_7d": "the 7-day mean",
    "delta_1d": "the change vs yesterday",
    "delta_7d": "the change vs the 7-day mean",
    "pct_1d": "the change vs yesterday",
    "pct_7d": "the change vs the 7-day mean",
}
#: How a variable's numbers print: in the metric's unit, as a change, a percent or a count.
_KIND = {"n": "count", "delta_1d": "delta", "delta_7d": "delta", "pct_1d": "pct", "pct_7d": "pct"}
_WORD = {"<": "below", "<=": "at or below", ">": "above", ">=": "at or above", "==": "is", "!=": "is not"}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_FRACTION = {2.0: "half of", 3.0: "a third of", 4.0: "a quarter of", 10.0: "a tenth of"}


@dataclass(frozen=True)
class _Clause:
    subject: str | None  # None: the metric itself
    op: str
    bound: str
    text: str = ""  # a ready-made phrase ("significantly below 0.0 bps")


class _Words:
    """Turns rule (sub)trees into words for one metric and one environment."""

    def __init__(self, env: Env, unit: str, precision: int) -> None:
        self.env, self.unit, self.precision = env, unit, precision

    def number(self, x: float, kind: str, signed: bool = False) -> str:
        if kind == "count":
            return format_number(x, "count", 0)
        if kind == "pct":
            return format_number(x, "fraction", 1, signed=signed)
        if kind == "plain":
            return f"{x:g}"
        return format_number(x, self.unit, self.precision, signed=signed, delta=kind == "delta")

    def kind(self, node: Node) -> str:
        """The kind of the first variable in ``node`` (the unit a constant beside it has)."""
        if node[0] == "var":
            return _KIND.get(node[1], "value")
        for child in _children(node):
            k = self.kind(child)
            if k != "plain":
                return k
        return "plain"

    def text(self, node: Node, kind: str) -> str:
        tag = node[0]
        if tag == "num":
            return self.number(node[1], kind)
        if tag == "var":
            v = self.env.get(node[1])
            own = _KIND.get(node[1], "value")
            shown = "n/a" if v is None else self.number(float(v), own, signed=own in ("delta", "pct"))
            return shown if node[1] == "value" else f"{_SUBJECT[node[1]]} ({shown})"
        if tag == "neg":
            return f"-{self.text(node[1], kind)}"
        if tag == "bin":
            op, a, b = node[1], node[2], node[3]
            if op == "/" and b[0] == "num" and b[1] in _FRACTION:
                return f"{_FRACTION[b[1]]} {self.text(a, kind)}"
            inner = "plain" if a[0] == "num" or b[0] == "num" else kind
            left = self.text(a, inner if a[0] == "num" else kind)
            right = self.text(b, inner if b[0] == "num" else kind)
            return f"{left} {'×' if op == '*' else op} {right}"
        if tag == "call":
            args = [self.text(a, kind) for a in node[2]]
            if node[1] == "abs":
                return f"the size of {args[0]}"
            return f"the {'lower' if node[1] == 'min' else 'higher'} of {', '.join(args)}"
        if tag == "bool":
            return "true" if node[1] else "false"
        return "the condition"

    def clauses(self, node: Node) -> tuple[list[_Clause], list[str]]:
        """(clauses, sample-size phrases) of a node that holds for the environment."""
        tag = node[0]
        if tag == "and":
            c1, g1 = self.clauses(node[1])
            c2, g2 = self.clauses(node[2])
            return c1 + c2, g1 + g2
        if tag == "or":
            # Say only the branch that actually fired.
            return self.clauses(node[1] if holds(node[1], self.env) else node[2])
        if tag == "cmp":
            return self.compare(node[1], node[2], node[3])
        if tag == "not":
            inner, _ = self.clauses(node[1])
            said = " and ".join(_say(c) for c in inner) or "the condition"
            return [_Clause(None, "", "", f"not {said}")], []
        if tag == "bool":
            return [], []
        return [_Clause(None, "", "", f"{self.text(node, self.kind(node))} is non-zero")], []

    def compare(self, op: str, left: Node, right: Node) -> tuple[list[_Clause], list[str]]:
        if left[0] == "num" and right[0] != "num":
            op, left, right = _FLIP[op], right, left
        if left == ("var", "n") and right[0] == "num":
            n = self.env.get("n")
            if n is None:
                return [], []
            only = "" if op in (">", ">=") else "only "
            return [], [f"on {only}{self.number(float(n), 'count')} samples"]
        if left[0] == "var" and left[1].startswith("baseline") and op in (">", ">=") and right[0] == "num":
            # A floor on the baseline only says the usual level matters: give it as context.
            v = self.env.get(left[1])
            usual = "a 7-day mean" if left[1] == "baseline_7d" else "yesterday's"
            return [], [] if v is None else [f"against {usual} of {self.number(float(v), 'value')}"]
        kind = self.kind(left)
        bound = self.text(right, kind)
        if left == ("var", "high") and op in ("<", "<="):
            return [_Clause(None, op, bound, f"significantly below {bound}")], []
        if left == ("var", "low") and op in (">", ">="):
            return [_Clause(None, op, bound, f"significantly above {bound}")], []
        if left == ("var", "value"):
            if self.unit == "bool" and right[0] == "num":
                return [_Clause(None, op, bound, f"{_WORD[op]} {format_number(right[1], 'bool', 0)}")], []
            return [_Clause(None, op, bound)], []
        return [_Clause(self.text(left, kind), op, bound)], []


def _children(node: Node) -> tuple[Node, ...]:
    tag = node[0]
    if tag in ("neg", "not"):
        return (node[1],)
    if tag in ("and", "or"):
        return (node[1], node[2])
    if tag in ("bin", "cmp"):
        return (node[2], node[3])
    if tag == "call":
        return tuple(node[2])
    return ()


def _say(c: _Clause) -> str:
    if c.text:
        return c.text
    return f"{_WORD[c.op]} {c.bound}" if c.subject is None else f"{c.subject} is {_WORD[c.op]} {c.bound}"


def _join(clauses: list[_Clause]) -> str:
    parts: list[str] = []
    for i, c in enumerate(clauses):
        prev = clauses[i - 1] if i else None
        # "below 0.0 bps, as is the 7-day mean (-1.5 bps)" rather than repeating the bound.
        if prev is not None and c.subject and not c.text and (prev.op, prev.bound) == (c.op, c.bound):
            parts.append(f", as is {c.subject}")
        else:
            parts.append((" and " if parts else "") + _say(c))
    return "".join(parts)


def explain_rule(rule: Rule, env: Env, unit: str, precision: int) -> str:
    """Why ``rule`` fired for ``env``, in words (``'below 0.0 bps on 58 samples'``).

    Numbers print in the metric's ``unit`` with its ``precision``, exactly as the
    digest prints the metric itself.
    """
    try:
        evaluate_node(rule.node, env)
    except Exception:
        return f"alert rule `{rule.text}`"
    words = _Words(env, unit, precision)
    clauses, guards = words.clauses(rule.node)
    text = _join(clauses) or f"alert rule `{rule.text}`"
    if guards:
        text += ("," if "as is" in text else "") + " " + " ".join(dict.fromkeys(guards))
    return text


def target_reason(value: float, low: float | None, high: float | None, unit: str, precision: int) -> str:
    """``'below the 87.0 % target'`` / ``'above the 0.0 bps maximum'``; '' when inside."""
    if low is not None and value < low:
        return f"below the {format_number(low, unit, precision)} target"
    if high is not None and value > high:
        return f"above the {format_number(high, unit, precision)} maximum"
    return ""
