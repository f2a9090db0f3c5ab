"""The one way a metric's number becomes text.

Insights, the council's prompts, the digest and the CLI table all format numbers
through :func:`format_value`, so a number printed anywhere is exactly the snapshot's
number, rounded by the metric's own ``precision`` in its own ``unit`` — which is what
the number verifier matches against.

Units: ``fraction`` prints as a percent (``0.613`` → ``61.3 %``; its changes as
percentage points, ``+1.2 pp``), ``bps`` as ``12.5 bps``, ``usd`` as ``$1,234.50``,
``count`` with thousands separators, ``seconds`` in ``s`` / ``min`` / ``h`` by size
(:func:`format_duration`), ``ms`` with ``ms``, ``bool``
as ``yes`` / ``no``; ``ratio`` and ``score`` as plain numbers.

Example::

    >>> from huracan.analytics.format import format_number
    >>> format_number(0.6134, "fraction", 1)
    '61.3 %'
    >>> format_number(0.012, "score", 3, signed=True)
    '+0.012'
    >>> format_number(5412, "count", 0)
    '5,412'
"""

from __future__ import annotations

from typing import Any, Literal

__all__ = ["Which", "format_duration", "format_number", "format_value", "number_for"]

Which = Literal["value", "low", "high", "baseline_1d", "baseline_7d", "delta_1d", "delta_7d", "pct_1d", "pct_7d", "n"]

_SUFFIX = {"bps": " bps", "ms": " ms", "events_per_s": " events/s"}


def format_number(value: float | None, unit: str, precision: int, *, signed: bool = False, delta: bool = False) -> str:
    """Format ``value`` in ``unit`` with ``precision`` decimals (in display units).

    ``signed`` adds a ``+`` to positive numbers; ``delta`` marks a change, so that a
    change of a fraction reads in percentage points (``+1.2 pp``) rather than percent.
    None formats as ``n/a``.
    """
    if value is None:
        return "n/a"
    sign = "+" if signed else ""
    if unit == "fraction":
        return f"{value * 100:{sign},.{precision}f} {'pp' if delta else '%'}"
    if unit == "usd":
        body = f"{abs(value):,.{precision}f}"
        prefix = "-" if value < 0 and round(abs(value), precision) != 0 else ("+" if signed and value > 0 else "")
        return f"{prefix}${body}"
    if unit == "bool" and not delta:
        return "yes" if value >= 0.5 else "no"
    if unit == "count":
        return f"{value:{sign},.{precision}f}"
    if unit == "seconds":
        return format_duration(value, precision, signed=signed)
    return f"{value:{sign},.{precision}f}{_SUFFIX.get(unit, '')}"


def format_duration(seconds: float, precision: int = 0, *, signed: bool = False) -> str:
    """A duration in the unit a person reads it in: ``'45 s'``, ``'43 min'``, ``'7.2 h'`` (#12).

    Under 2 minutes in seconds (with ``precision`` decimals), under 20 minutes in minutes
    with one decimal, under 2 hours in whole minutes, else hours with one decimal; the unit
    follows the size of the number itself (a change too). Each form keeps the rounding
    within 5 % of the number, which is what the number verifier reads ``s``, ``min`` and
    ``h`` back into seconds with ("2 min" for 121 s would be too coarse to check).

    >>> format_duration(25_796), format_duration(2_580), format_duration(45.2), format_duration(-600, signed=True)
    ('7.2 h', '43 min', '45 s', '-10.0 min')
    >>> format_duration(121), format_duration(-599)
    ('2.0 min', '-10.0 min')
    """
    sign = "+" if signed else ""
    size = abs(seconds)
    if round(size, precision) < 120:
        return f"{seconds:{sign},.{precision}f} s"
    if round(size / 60, 1) < 20:
        return f"{seconds / 60:{sign},.1f} min"
    if round(size / 60) < 120:
        return f"{seconds / 60:{sign},.0f} min"
    return f"{seconds / 3600:{sign},.1f} h"


def number_for(metric: Any, which: Which = "value") -> float | None:
    """The raw number ``format_value`` would print for ``which`` (None when absent)."""
    if which == "value":
        return metric.value  # type: ignore[no-any-return]
    if which == "n":
        return None if metric.n is None else float(metric.n)
    if which in ("low", "high"):
        iv = metric.interval
        return None if iv is None else getattr(iv, which)  # type: ignore[no-any-return]
    field, suffix = which.rsplit("_", 1)
    cmp = metric.vs_prev_day if suffix == "1d" else metric.vs_7d_mean
    if cmp is None:
        return None
    return {"baseline": cmp.baseline, "delta": cmp.delta, "pct": cmp.pct_change}[field]  # type: ignore[no-any-return]


def format_value(metric: Any, which: Which = "value") -> str:
    """Format one number of a :class:`~huracan.analytics.snapshot.MetricValue`.

    ``which`` picks the number: the value, its interval bounds (``low``/``high``), the
    sample size ``n``, or a comparison's ``baseline_1d``/``baseline_7d``,
    ``delta_1d``/``delta_7d`` (signed, fractions in pp) or ``pct_1d``/``pct_7d``
    (signed percent change).

    >>> from huracan.analytics.snapshot import MetricValue, Provenance
    >>> m = MetricValue(id="shadow_win_rate", name="Shadow win rate", category="shadow",
    ...                 unit="fraction", precision=1, value=0.5834, formula="wins / trades",
    ...                 provenance=Provenance(query="SELECT ...", row_count=120), status="ok")
    >>> format_value(m)
    '58.3 %'
    """
    number = number_for(metric, which)
    if which == "n":
        return format_number(number, "count", 0)
    if which in ("pct_1d", "pct_7d"):
        return format_number(number, "fraction", 1, signed=True)
    is_delta = which in ("delta_1d", "delta_7d")
    return format_number(number, str(metric.unit), int(metric.precision), signed=is_delta, delta=is_delta)
