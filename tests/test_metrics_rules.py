"""Alert rules: a tiny safe parser, never eval."""

from __future__ import annotations

import pytest

from huracan.analytics.metric_rules import RuleError, parse_rule
from huracan.plugins.builtin.metrics.catalog import load_catalog


@pytest.mark.parametrize(
    ("rule", "env", "fires"),
    [
        ("value < 0.5", {"value": 0.4}, True),
        ("value < 0.5", {"value": 0.5}, False),
        ("value > 100", {"value": 101}, True),
        ("value == 0", {"value": 0}, True),
        ("value != 0", {"value": 0}, False),
        ("abs(delta_1d) > 0.02", {"delta_1d": -0.03}, True),
        ("abs(delta_1d) > 0.02", {"delta_1d": 0.01}, False),
        ("value < 0.4 and n >= 30", {"value": 0.3, "n": 10}, False),
        ("value < 0.4 and n >= 30", {"value": 0.3, "n": 30}, True),
        ("value > 1 or not (n > 5)", {"value": 0.0, "n": 3}, True),
        ("max(value, baseline_7d) - min(value, baseline_7d) >= 2 * 1.5", {"value": 1, "baseline_7d": 4}, True),
        ("-value > -0.5", {"value": 0.4}, True),
        ("value / n > 0.5", {"value": 3, "n": 4}, True),
        ("pct_7d <= -0.2", {"pct_7d": -0.25}, True),
        ("value > 1e3", {"value": 1500}, True),
    ],
)
def test_rules_evaluate(rule: str, env: dict[str, float], fires: bool) -> None:
    assert parse_rule(rule).evaluate(env) is fires


def test_a_variable_without_data_does_not_fire() -> None:
    assert parse_rule("abs(delta_1d) > 0.02").evaluate({"delta_1d": None}) is False
    assert parse_rule("value < 1").evaluate({}) is False
    assert parse_rule("value / n > 1").evaluate({"value": 1, "n": 0}) is False  # no ZeroDivisionError


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("__import__('os').system('echo hi')", "unexpected character"),
        ("__import__(value)", "unknown function '__import__'"),
        ("value.__class__", "unexpected character"),
        ("valu < 1", "unknown name 'valu'"),
        ("value <", "ends too early"),
        ("(value < 1", "missing ')'"),
        ("value < 1 1", "unexpected '1'"),
        ("abs(value, n) > 1", "takes 1..1 arguments"),
        ("open(value)", "unknown function 'open'"),
        ("", "empty"),
    ],
)
def test_bad_rules_are_refused_with_a_pointer(rule: str, message: str) -> None:
    with pytest.raises(RuleError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_rule(rule)


def test_simple_rules_expose_their_threshold() -> None:
    assert parse_rule("value < 0.65").threshold == 0.65
    assert parse_rule("value > -3").threshold == -3
    assert parse_rule("abs(value) > 3").threshold is None


def test_every_rule_in_metrics_yaml_parses() -> None:
    cat = load_catalog()
    rules = [r for d in cat.metrics.values() for r in d.alerts.values()]
    assert len(rules) >= 20
    for r in rules:
        parse_rule(r)
