"""The MetricsSnapshot: every number of a day, with its provenance.

This is the exact input the council gets and the only source of numbers for the
digest. Nothing downstream does arithmetic: comparisons, intervals and significance
are precomputed here.

Metric ids are dotted where a metric has parts, e.g. ``shadow_win_rate.scalp`` or
``gate_pass_rate.cost_gate``.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "Comparison",
    "DayInfo",
    "Interval",
    "MetricValue",
    "MetricsSnapshot",
    "Provenance",
    "Readiness",
    "SnapshotCheck",
    "Targets",
]

#: ``insufficient_data``: a value exists but rests on fewer than the metric's ``min_n``,
#: so it is shown, never judged. ``zero``: a count that is 0 on a trading day (no
#: signals, nothing passed, no trades) — a finding, never green (#12).
Status = Literal["ok", "warning", "critical", "no_data", "insufficient_data", "zero"]

#: Units a metric may have; the renderer and number verifier know each of them.
Unit = Literal[
    "count",  # plain integer count
    "fraction",  # 0..1, rendered as a percent
    "bps",  # basis points
    "usd",
    "ratio",  # unitless ratio (profit factor, Sharpe)
    "score",  # unitless score in a bounded range (AUC, ECE, Brier)
    "seconds",
    "ms",
    "events_per_s",
    "bool",  # 0 / 1
]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Targets(_Frozen):
    min: float | None = None
    ideal: float | None = None
    max: float | None = None


class Interval(_Frozen):
    low: float
    high: float
    level: float = 0.95
    method: Literal["wilson", "bootstrap", "normal"]


class Comparison(_Frozen):
    """Change of a value against a baseline, with whether it is significant."""

    baseline: float | None
    delta: float | None
    pct_change: float | None = None
    #: None when significance cannot be judged (no interval / no baseline).
    significant: bool | None = None
    direction: Literal["up", "down", "flat"] | None = None


class Provenance(_Frozen):
    query: str
    row_count: int = Field(ge=0)
    tables: list[str] = Field(default_factory=list)


class MetricValue(_Frozen):
    id: str
    name: str
    description: str = ""
    category: str
    unit: Unit
    #: Decimals the renderer shows (in the metric's display unit: percent for fractions).
    precision: int = Field(2, ge=0, le=8)
    value: float | None
    formula: str
    provenance: Provenance
    targets: Targets | None = None
    higher_is_better: bool | None = None
    status: Status
    status_reason: str = ""
    n: int | None = Field(None, ge=0)
    interval: Interval | None = None
    vs_prev_day: Comparison | None = None
    vs_7d_mean: Comparison | None = None
    plugin: str = "builtin"
    #: a key metric (``MetricSpec.key``): the digest's sections always show it
    key: bool = False
    #: other names of the metric (``MetricSpec.synonyms``): what the number verifier links
    synonyms: tuple[str, ...] = ()
    #: the metric's parts in id order, each with the words that name it (``MetricSpec.parts``)
    parts: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    #: what a ranked part is about today (the feature of feature_share.top1, the regime of
    #: regime_return_change.top1); None for every other metric
    subject: str | None = None
    #: the kind of number (count, rate, mean, discrimination, calibration, days, value)
    kind: str = "value"
    #: the smallest n at which the status and the changes are judged
    min_n: int = Field(0, ge=0)

    @property
    def judged(self) -> bool:
        """True when the value rests on enough data to carry a status and significance."""
        return self.value is not None and (self.min_n == 0 or (self.n is not None and self.n >= self.min_n))

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float | None) -> float | None:
        if v is not None and not math.isfinite(v):
            raise ValueError("metric values must be finite (use None for 'no data')")
        return v


class Readiness(_Frozen):
    """Whether a model is ready for Hamilton, and why not (:mod:`huracan.analytics.readiness`)."""

    model_id: str | None
    ready: bool
    reasons: list[str] = Field(default_factory=list)
    checks: dict[str, bool] = Field(default_factory=dict)
    #: the evidence judged: AUC and ECE, the predictions they rest on, training samples
    auc: float | None = None
    ece: float | None = None
    predictions: int | None = None
    samples: int | None = None
    #: "recomputed" (from the calibration event), "reported" (the training run's) or "registered"
    source: str = "recomputed"


class SnapshotCheck(_Frozen):
    """The self-check: ``problems`` are numbers that are wrong (the check fails);
    ``warnings`` are numbers outside any plausible range (likely wrong units or inputs)."""

    passed: bool
    problems: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class DayInfo(_Frozen):
    """Whether the report day is a trading day (see :mod:`huracan.analytics.calendar`)."""

    trading: bool
    reason: str
    engine_events: int = Field(0, ge=0)
    #: the trading day the day-over-day comparisons are against (a Monday's is Friday in FX)
    previous_day: date | None = None


class MetricsSnapshot(BaseModel):
    """All metrics of one UTC day. ``huracan metrics --json`` prints exactly this."""

    model_config = ConfigDict(extra="forbid")

    date: date
    generated_at: datetime
    metrics: dict[str, MetricValue]
    readiness: Readiness | None = None
    alerts: list[dict[str, Any]] = Field(default_factory=list)
    insights: list[dict[str, Any]] = Field(default_factory=list)
    self_check: SnapshotCheck = SnapshotCheck(passed=True)
    disabled_plugins: dict[str, str] = Field(default_factory=dict)
    #: trading day or market closed, and why
    calendar: DayInfo | None = None
    #: "What the Engine learned" (:mod:`huracan.analytics.learned`): lines of text whose
    #: numbers are placeholders of these metrics, ``{kind, text, metric_ids}``
    learned: list[dict[str, Any]] = Field(default_factory=list)

    def get(self, metric_id: str) -> MetricValue | None:
        return self.metrics.get(metric_id)

    def value(self, metric_id: str) -> float | None:
        m = self.metrics.get(metric_id)
        return None if m is None else m.value
