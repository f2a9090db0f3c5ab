"""The built-in metrics: one plugin, one module per category.

The plugin manager registers this package as a single built-in plugin; its
``huracan_register_metrics`` concatenates the categories' metrics. Each category module
is itself a complete plugin (it implements the same hook), so a third party can copy
one as a template. Definitions (units, targets, alert rules) live in
``huracan/configs/metrics.yaml``; the modules hold only the computations.
"""

from __future__ import annotations

from typing import Any

from huracan.plugins import hookimpl
from huracan.plugins.builtin.metrics import gates, learning, live, models, pipeline, quality, shadow
from huracan.plugins.types import MetricSpec

__all__ = ["CATEGORIES", "huracan_register_metrics"]

#: Category modules in the order the CLI table and the digest show them.
CATEGORIES = (shadow, learning, gates, models, live, pipeline, quality)


@hookimpl
def huracan_register_metrics(settings: Any) -> list[MetricSpec]:
    """Every built-in metric (50+), category by category."""
    specs: list[MetricSpec] = []
    for module in CATEGORIES:
        specs.extend(module.huracan_register_metrics(settings=settings))
    return specs
