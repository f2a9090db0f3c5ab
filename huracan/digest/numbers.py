"""How the digest prints a metric's numbers: through the shared formatter only.

Every number in the digest goes through :func:`huracan.analytics.format.format_value`,
the same function the council's placeholders and the number verifier use, so a number
printed in any channel is exactly the snapshot's number.
"""

from __future__ import annotations

from typing import Literal

from huracan.analytics.format import format_value
from huracan.analytics.snapshot import MetricValue

__all__ = ["format_change", "format_metric"]


def format_metric(metric: MetricValue) -> str:
    """The metric's value as printed in every digest format (``'72.2 %'``)."""
    return format_value(metric)


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
