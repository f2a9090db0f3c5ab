"""Alert rules: a tiny safe parser, never eval."""

from __future__ import annotations

import pytest

from huracan.analytics.metric_reasons import explain_rule, target_reason
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
    rules += [r for d in cat.metrics.values() for a in d.part_alerts.values() for r in a.values()]
    assert len(rules) >= 20
    for r in rules:
        parse_rule(r)


@pytest.mark.parametrize(
    ("rule", "env", "unit", "precision", "said"),
    [
        ("value < 0 and n >= 20", {"value": -35.9, "n": 58}, "bps", 1, "below 0.0 bps on 58 samples"),
        ("value == 0", {"value": 0}, "count", 0, "is 0"),
        ("value > 0.5 and n >= 30", {"value": 0.74, "n": 324}, "fraction", 1, "above 50.0 % on 324 samples"),
        ("value < 0.4 and n < 30", {"value": 0.1, "n": 12}, "fraction", 1, "below 40.0 % on only 12 samples"),
        ("0.5 > value", {"value": 0.1}, "score", 3, "below 0.500"),
        ("value == 0", {"value": 0}, "bool", 0, "is no"),
        ("value < baseline_7d / 4", {"value": 8, "baseline_7d": 60.3}, "count", 0, "below a quarter of the 7-day mean (60)"),
        (
            "value == 0 and baseline_7d >= 5",
            {"value": 0, "baseline_7d": 43.2},
            "count", 0, "is 0 against a 7-day mean of 43",
        ),
        (
            "n >= 20 and (high < 0 or (value < 0 and baseline_7d < 0))",
            {"value": -120.6, "high": -3.0, "baseline_7d": 10.0, "n": 100},
            "bps", 1, "significantly below 0.0 bps on 100 samples",
        ),
        (
            "n >= 20 and (high < 0 or (value < 0 and baseline_7d < 0))",
            {"value": -3.0, "high": 4.0, "baseline_7d": -1.5, "n": 40},
            "bps", 1, "below 0.0 bps, as is the 7-day mean (-1.5 bps), on 40 samples",
        ),
        (
            "abs(delta_1d) > 0.02",
            {"delta_1d": -0.03},
            "fraction", 1, "the size of the change vs yesterday (-3.0 pp) is above 2.0 pp",
        ),
        ("pct_7d <= -0.2", {"pct_7d": -0.25}, "count", 0, "the change vs the 7-day mean (-25.0 %) is at or below -20.0 %"),
    ],
)  # fmt: skip
def test_a_fired_rule_is_explained_in_words(
    rule: str, env: dict[str, float], unit: str, precision: int, said: str
) -> None:
    parsed = parse_rule(rule)
    assert parsed.evaluate(env)
    text = explain_rule(parsed, env, unit, precision)
    assert text == said
    assert "`" not in text and "value" not in text and " n " not in text


def test_targets_are_explained_in_the_metrics_unit() -> None:
    assert target_reason(0.452, 0.87, None, "fraction", 1) == "below the 87.0 % target"
    assert target_reason(2838.4, None, 0.0, "bps", 1) == "above the 0.0 bps maximum"
    assert target_reason(0.5, 0.4, 0.6, "fraction", 1) == ""
