"""How the digest prints a metric's numbers: through the shared formatter only.

Every number in the digest goes through :func:`huracan.analytics.format.format_value`,
the same function the council's placeholders and the number verifier use, so a number
printed in any channel is exactly the snapshot's number.
"""

from __future__ import annotations

from typing import Literal

from huracan.analytics.format import format_value
from huracan.analytics.snapshot import MetricValue

__all__ = ["format_change", "format_interval", "format_judged", "format_metric"]

#: Kinds whose judgement the reader should see the uncertainty of (#12).
_WITH_INTERVAL = ("rate", "discrimination")


def format_metric(metric: MetricValue) -> str:
    """The metric's value as printed in every digest format (``'72.2 %'``)."""
    return format_value(metric)


def format_interval(metric: MetricValue) -> str:
    """``'95 % CI 61.0–67.0 %'`` for a judged rate or AUC with an interval, else ``''``."""
    iv = metric.interval
    if iv is None or metric.kind not in _WITH_INTERVAL or not metric.judged:
        return ""
    low, high = format_value(metric, "low"), format_value(metric, "high")
    for suffix in (" %", " bps"):  # the unit once, after the range
        if low.endswith(suffix) and high.endswith(suffix):
            low = low[: -len(suffix)]
    return f"95 % CI {low}–{high}"


def format_judged(metric: MetricValue) -> str:
    """The value, with its interval where a rate or an AUC is judged (``'58.3 % (95 % CI 49.1–67.0 %)'``)."""
    ci = format_interval(metric)
    return f"{format_metric(metric)} ({ci})" if ci else format_metric(metric)


def format_change(metric: MetricValue, which: Literal["1d", "7d"] = "1d") -> str:
    """``'+1.2 pp vs yesterday'`` from the snapshot's precomputed comparison, else ``''``.

    Significant changes say so; a change too small to show at the metric's precision
    (direction ``flat``) is left out. The digest never computes a difference itself.
    """
    comparison = metric.vs_prev_day if which == "1d" else metric.vs_7d_mean
    if comparison is None or comparison.delta is None or metric.unit == "bool" or comparison.direction == "flat":
        return ""
    label = "vs yesterday" if which == "1d" else "vs 7-day mean"
    text = f"{format_value(metric, 'delta_1d' if which == '1d' else 'delta_7d')} {label}"
    return f"{text}, significant" if comparison.significant else text
