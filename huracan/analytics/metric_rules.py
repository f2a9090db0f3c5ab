"""Alert rules: tiny, safe expressions over a metric's value (never ``eval``).

A rule is text from ``metrics.yaml`` (or a plugin) such as ``value < 0.5``,
``abs(delta_1d) > 0.02 and n >= 30`` or ``value > 100``. It is parsed once, at
registration, by a recursive-descent parser that knows numbers, the variables below,
``+ - * /``, comparisons, ``and / or / not``, parentheses and the functions
``abs``, ``min``, ``max``. Nothing else can run.

Variables: ``value``, ``n``, ``low`` / ``high`` (the interval), ``baseline_1d`` /
``baseline_7d``, ``delta_1d`` / ``delta_7d``, ``pct_1d`` / ``pct_7d`` (fractions).
A rule that reads a variable without data (no value, no yesterday) does not fire.

Example::

    >>> rule = parse_rule("abs(delta_1d) > 0.02 and n >= 30")
    >>> rule.evaluate({"delta_1d": -0.03, "n": 120})
    True
    >>> rule.evaluate({"delta_1d": None, "n": 120})
    False
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["VARIABLES", "Node", "Rule", "RuleError", "evaluate_node", "holds", "parse_rule"]

VARIABLES = frozenset(
    {"value", "n", "low", "high", "baseline_1d", "baseline_7d", "delta_1d", "delta_7d", "pct_1d", "pct_7d"}
)
_FUNCTIONS: dict[str, Callable[..., float]] = {"abs": abs, "min": min, "max": max}
_ARITY = {"abs": (1, 1), "min": (2, 8), "max": (2, 8)}
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
_TOKEN = re.compile(r"\s*(?:(\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?|([A-Za-z_][A-Za-z_0-9]*)|(<=|>=|==|!=|[<>+\-*/(),]))")

Env = Mapping[str, float | int | None]
#: A parsed rule is a tree of tuples, tag first: ("num", 0.5), ("var", "value"),
#: ("bool", True), ("neg", x), ("bin", "+", a, b), ("cmp", "<", a, b), ("and", a, b),
#: ("or", a, b), ("not", x), ("call", "abs", (x,)). Plain data, so the same tree is
#: evaluated here and put into words by :mod:`huracan.analytics.metric_reasons`.
Node = tuple[Any, ...]

_ARITH: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}


class RuleError(ValueError):
    """An alert rule could not be parsed; the message points at the offending spot."""


class _Missing(Exception):
    """A variable the rule reads has no data; the rule does not fire."""


def evaluate_node(node: Node, env: Env) -> float | bool:
    """Evaluate a parsed rule (sub)tree; raises ``_Missing`` when a variable has no data."""
    tag = node[0]
    if tag in ("num", "bool"):
        return node[1]  # type: ignore[no-any-return]
    if tag == "var":
        v = env.get(node[1])
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            raise _Missing(node[1])
        return float(v)
    if tag == "neg":
        return -float(evaluate_node(node[1], env))
    if tag == "bin":
        return _ARITH[node[1]](float(evaluate_node(node[2], env)), float(evaluate_node(node[3], env)))
    if tag == "cmp":
        return _COMPARE[node[1]](float(evaluate_node(node[2], env)), float(evaluate_node(node[3], env)))
    if tag == "and":
        return bool(evaluate_node(node[1], env)) and bool(evaluate_node(node[2], env))
    if tag == "or":
        return bool(evaluate_node(node[1], env)) or bool(evaluate_node(node[2], env))
    if tag == "not":
        return not evaluate_node(node[1], env)
    if tag == "call":
        return _FUNCTIONS[node[1]](*(float(evaluate_node(a, env)) for a in node[2]))
    raise ValueError(f"unknown rule node {tag!r}")


def holds(node: Node, env: Env) -> bool:
    """True when ``node`` evaluates true for ``env`` (False when it lacks data)."""
    try:
        return bool(evaluate_node(node, env))
    except (_Missing, ZeroDivisionError):
        return False


@dataclass(frozen=True)
class Rule:
    """A parsed alert rule; :meth:`evaluate` is safe to call with any environment."""

    text: str
    node: Node
    #: the constant a simple ``value <op> constant`` rule compares against (for alerts)
    threshold: float | None = None

    def evaluate(self, env: Env) -> bool:
        """True when the rule fires for ``env``; False if a variable it needs is None."""
        return holds(self.node, env)


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise RuleError(f"alert rule {text!r}: unexpected character {text[pos:].strip()[:1]!r} at position {pos}")
        if m.group(1) is not None:
            tokens.append(("num", m.group(0).strip(), m.start(1)))
        elif m.group(2) is not None:
            tokens.append(("name", m.group(2), m.start(2)))
        else:
            tokens.append(("op", m.group(3), m.start(3)))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    def error(self, what: str) -> RuleError:
        where = self.tokens[self.i][2] if self.i < len(self.tokens) else len(self.text)
        return RuleError(
            f"alert rule {self.text!r}: {what} at position {where}; "
            "rules look like `value < 0.5` or `abs(delta_1d) > 0.02 and n >= 30`"
        )

    def peek(self) -> tuple[str, str] | None:
        if self.i < len(self.tokens):
            kind, val, _ = self.tokens[self.i]
            return kind, val
        return None

    def take(self, kind: str, val: str | None = None) -> bool:
        tok = self.peek()
        if tok and tok[0] == kind and (val is None or tok[1] == val):
            self.i += 1
            return True
        return False

    def parse(self) -> Node:
        node = self.or_expr()
        if self.i != len(self.tokens):
            raise self.error(f"unexpected {self.tokens[self.i][1]!r}")
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.take("name", "or"):
            node = ("or", node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while self.take("name", "and"):
            node = ("and", node, self.not_expr())
        return node

    def not_expr(self) -> Node:
        if self.take("name", "not"):
            return ("not", self.not_expr())
        return self.comparison()

    def comparison(self) -> Node:
        left = self.arith()
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1] in _COMPARE:
            self.i += 1
            return ("cmp", tok[1], left, self.arith())
        return left

    def arith(self) -> Node:
        node = self.term()
        while (tok := self.peek()) and tok in (("op", "+"), ("op", "-")):
            self.i += 1
            node = ("bin", tok[1], node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while (tok := self.peek()) and tok in (("op", "*"), ("op", "/")):
            self.i += 1
            node = ("bin", tok[1], node, self.unary())
        return node

    def unary(self) -> Node:
        if self.take("op", "-"):
            return ("neg", self.unary())
        return self.atom()

    def atom(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise self.error("the rule ends too early")
        kind, val = tok
        if kind == "num":
            self.i += 1
            return ("num", float(val))
        if kind == "op" and val == "(":
            self.i += 1
            node = self.or_expr()
            if not self.take("op", ")"):
                raise self.error("missing ')'")
            return node
        if kind == "name":
            self.i += 1
            if self.take("op", "("):
                return self.call(val)
            if val in ("true", "false"):
                return ("bool", val == "true")
            if val not in VARIABLES:
                raise RuleError(
                    f"alert rule {self.text!r}: unknown name {val!r}; "
                    f"use one of {', '.join(sorted(VARIABLES))} or abs/min/max"
                )
            return ("var", val)
        raise self.error(f"unexpected {val!r}")

    def call(self, name: str) -> Node:
        if name not in _FUNCTIONS:
            raise RuleError(f"alert rule {self.text!r}: unknown function {name!r}; only abs, min and max are allowed")
        args = [self.arith()]
        while self.take("op", ","):
            args.append(self.arith())
        if not self.take("op", ")"):
            raise self.error("missing ')' after the function's arguments")
        lo, hi = _ARITY[name]
        if not lo <= len(args) <= hi:
            raise RuleError(f"alert rule {self.text!r}: {name}() takes {lo}..{hi} arguments, got {len(args)}")
        return ("call", name, tuple(args))


_SIMPLE = re.compile(r"^\s*value\s*(<=|>=|<|>|==|!=)\s*(-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)\s*$")


def parse_rule(text: str) -> Rule:
    """Parse an alert rule; raise :class:`RuleError` naming the problem and its position."""
    if not isinstance(text, str) or not text.strip():
        raise RuleError(f"alert rule {text!r} is empty; write e.g. `value < 0.5`")
    node = _Parser(text).parse()
    m = _SIMPLE.match(text)
    return Rule(text=text.strip(), node=node, threshold=float(m.group(2)) if m else None)
