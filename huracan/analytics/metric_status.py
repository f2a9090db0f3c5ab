"""A metric's status for the day, judged only on what the data can support (#12).

In order:

1. **no value** → ``no_data`` (on a closed market day the reason says so);
2. **a zero count on a day the market was closed** (a weekend of an FX Engine) →
   ``no_data``, never an alert;
3. **n below the metric's minimum** (``min_n`` in metrics.yaml, by kind: 30 trials for a
   rate, 50 predictions for an AUC, 100 for an ECE, 20 days for a Sharpe ratio…) →
   ``insufficient_data``: the value is shown, no rule fires, no target is judged;
4. **a zero where zero is a finding** (``on_zero: finding``: no signals, nothing passed,
   no trades, a gate that passed nothing) → ``zero``: its own status, never green, and
   not a rule's "critical" either;
5. **alert rules** (``critical`` / ``warning``; ``info`` only raises an info alert);
6. **targets**: outside min..max → ``warning`` (never critical).

Example::

    >>> from huracan.plugins.types import MetricSpec
    >>> spec = MetricSpec(id="auc", name="AUC", category="learning", unit="score", formula="",
    ...                   compute=lambda ctx: None, alerts={"critical": "value < 0.55"}, kind="discrimination",
    ...                   min_n=50)
    >>> evaluate_status(spec, {"value": 0.0, "n": 2})[:2]
    ('insufficient_data', 'only 2 predictions: at least 50 are needed to judge it')
    >>> evaluate_status(spec, {"value": 0.52, "n": 400})[:2]
    ('critical', 'below 0.55')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from huracan.analytics.format import format_number
from huracan.analytics.metric_reasons import explain_rule, target_reason
from huracan.analytics.metric_rules import parse_rule
from huracan.events import Severity

__all__ = ["Fired", "evaluate_status", "insufficient_reason"]

_SEVERITIES = (("critical", "critical", Severity.CRITICAL), ("warning", "warning", Severity.WARNING))
#: (severity, rule text or "" for a zero finding, reason in words)
Fired = tuple[Severity, str, str]
_N_WORDS = {
    "rate": "observations",
    "mean": "values",
    "discrimination": "predictions",
    "calibration": "predictions",
    "days": "days",
    "count": "events",
}


def insufficient_reason(n: int | None, min_n: int, kind: str) -> str:
    """``'only 2 predictions: at least 50 are needed to judge it'``."""
    what = _N_WORDS.get(kind, "observations")
    if n == 1:
        what = what[:-1]  # "only 1 prediction"
    have = "no" if not n else f"only {format_number(n, 'count', 0)}"
    return f"{have} {what}: at least {format_number(min_n, 'count', 0)} are needed to judge it"


def _zero_reason(spec: Any, env: Mapping[str, Any]) -> str:
    n, usual = env.get("n"), env.get("baseline_7d")
    if spec.unit == "fraction" and n:
        why = f"0 % on a trading day (0 of {format_number(n, 'count', 0)})"
    else:
        why = "0 on a trading day"
    if usual:
        why += f"; the 7-day mean is {format_number(usual, spec.unit, spec.precision if spec.unit != 'count' else 1)}"
    return why


def evaluate_status(
    spec: Any,
    env: Mapping[str, Any],
    *,
    min_n: int | None = None,
    kind: str | None = None,
    trading: bool = True,
    closed_reason: str = "",
) -> tuple[str, str, list[Fired]]:
    """(status, reason, fired rules) of one metric's value (see the module docstring).

    ``env`` holds the rule variables (``value``, ``n``, ``low``/``high``, baselines and
    deltas). ``min_n`` defaults to the spec's own; ``trading`` / ``closed_reason`` say
    whether the day's market was open.
    """
    fired: list[Fired] = []
    value, n = env.get("value"), env.get("n")
    if value is None:
        return "no_data", closed_reason if not trading and closed_reason else "no data", fired
    if not trading and value == 0 and spec.unit == "count":
        return "no_data", closed_reason or "market closed", fired
    need = spec.min_n if min_n is None else min_n
    if need and (n is None or n < need):
        return "insufficient_data", insufficient_reason(n, int(need), kind or spec.kind), fired
    if spec.on_zero == "finding" and value == 0 and trading:
        why = _zero_reason(spec, env)
        return "zero", why, [(Severity.WARNING, "", why)]
    status, reason = "ok", ""
    for key, name, sev in (*_SEVERITIES, ("info", "ok", Severity.INFO)):
        rule_text = spec.alerts.get(key)
        if not rule_text:
            continue
        rule = parse_rule(rule_text)
        if rule.evaluate(env):
            why = explain_rule(rule, env, spec.unit, spec.precision)
            fired.append((sev, rule_text, why))
            if status == "ok" and name != "ok":
                status, reason = name, why
    t = spec.targets
    if status == "ok" and t is not None:
        missed = target_reason(value, t.min, t.max, spec.unit, spec.precision)
        if missed:
            status, reason = "warning", missed
    return status, reason, fired
