"""An example Huracan plugin: a liquidity gate and two order-book metrics.

Huracan finds this module through the ``huracan`` entry point in pyproject.toml and
registers it with its plugin manager; every function below marked ``@hookimpl`` is
called with keyword arguments named as in ``huracan.plugins.hookspecs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from huracan.analytics.snapshot import Targets
from huracan.plugins import hookimpl
from huracan.plugins.types import GateSpec, MetricResult, MetricSpec

__version__ = "0.1.0"

#: Below this depth a scalp fill moves the price: the gate's scalp threshold.
THIN_BOOK_USD = 250_000.0


def read_depth(inputs: Mapping[str, Any]) -> float:
    """The gate's input: ``depth_usd`` from the signal's features."""
    try:
        return float(inputs["depth_usd"])
    except KeyError:
        raise KeyError(
            "liquidity_gate reads the signal feature 'depth_usd', which this signal lacks; "
            "have the Engine log it in Signal.features"
        ) from None


LIQUIDITY_GATE = GateSpec(
    name="liquidity_gate",
    description="Order-book depth within 10 bps of the mid, in USD.",
    measures="depth_usd",
    direction="above",
    thresholds={"scalp": THIN_BOOK_USD, "runner": 1_000_000.0},
    value=read_depth,
    pass_rate_targets={
        "scalp": Targets(min=0.50, ideal=0.75, max=0.98),
        "runner": Targets(min=0.30, ideal=0.60, max=0.95),
    },
    unit="usd",
    phrase="order-book depth",
)

# A *daily query*: grouped by day, with {start}/{end} placeholders. The metrics computer
# runs it once for the report day and the week before it, and records it as provenance.
DEPTH_SQL = """
SELECT day,
       count(*) AS rows,
       median(CAST(features->>'$.depth_usd' AS DOUBLE)) AS median_depth,
       count(*) FILTER (WHERE CAST(features->>'$.depth_usd' AS DOUBLE) < 250000) AS thin
FROM v_signal
WHERE day BETWEEN {start} AND {end} AND features->>'$.depth_usd' IS NOT NULL
GROUP BY day
""".strip()


def _median_depth(ctx: Any) -> MetricResult:
    rows = ctx.daily(DEPTH_SQL)
    if not rows:
        raise ctx.no_data("no signal carried a depth_usd feature this day", DEPTH_SQL)
    return ctx.result(rows[0]["median_depth"], DEPTH_SQL, rows, n=rows[0]["rows"])


def _thin_share(ctx: Any) -> MetricResult:
    rows = ctx.daily(DEPTH_SQL)
    if not rows:
        raise ctx.no_data("no signal carried a depth_usd feature this day", DEPTH_SQL)
    n, thin = rows[0]["rows"], rows[0]["thin"]
    # `successes` lets the computer put a Wilson interval on the proportion.
    return ctx.result(thin / n, DEPTH_SQL, rows, n=n, successes=thin)


METRICS = [
    MetricSpec(
        id="example.median_depth_usd",
        name="Median order-book depth",
        category="market",
        unit="usd",
        formula="median(features.depth_usd) over the day's signals",
        compute=_median_depth,
        description="How deep the book was when signals arrived.",
        precision=0,
        higher_is_better=True,
        range=(0.0, None),
    ),
    MetricSpec(
        id="example.thin_book_share",
        name="Signals on a thin book",
        category="market",
        unit="fraction",
        formula="count(depth_usd < 250000) / count(*) over the day's signals",
        compute=_thin_share,
        description="Share of signals whose book was too thin to scalp.",
        precision=1,
        higher_is_better=False,
        targets=Targets(max=0.5),
        alerts={"warning": "value > 0.5"},
        range=(0.0, 1.0),
    ),
]


@hookimpl
def huracan_register_gates(settings: Any) -> list[GateSpec]:
    """The liquidity gate."""
    return [LIQUIDITY_GATE]


@hookimpl
def huracan_register_metrics(settings: Any) -> list[MetricSpec]:
    """The two order-book metrics."""
    return METRICS
