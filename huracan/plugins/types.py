"""What plugins register: gates, metrics, learners, notifiers, digest sections."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from huracan.analytics.snapshot import Targets

__all__ = [
    "DeliveryResult",
    "DigestSection",
    "GateSpec",
    "LearnerSpec",
    "MetricResult",
    "MetricSpec",
    "Notifier",
]


@dataclass(frozen=True)
class GateSpec:
    """A threshold gate.

    ``value`` reads the gate's input from a decision's inputs (the signal's fields and
    features plus model outputs such as ``meta_prob``); the gate passes when the value
    is ``>=`` (direction ``above``) or ``<=`` (``below``) the mode's threshold.
    """

    name: str
    description: str
    measures: str
    direction: Literal["above", "below"]
    thresholds: Mapping[str, float]
    value: Callable[[Mapping[str, Any]], float]
    pass_rate_targets: Mapping[str, Targets] = field(default_factory=dict)
    unit: str = ""
    #: How to say the value in a sentence, e.g. "predicted win probability".
    phrase: str = ""

    def threshold(self, mode: str) -> float:
        try:
            return self.thresholds[mode]
        except KeyError:
            raise KeyError(f"gate {self.name} has no threshold for mode {mode!r}") from None

    def passes(self, value: float, mode: str) -> bool:
        t = self.threshold(mode)
        return value >= t if self.direction == "above" else value <= t


@dataclass(frozen=True)
class MetricResult:
    """One computed value; the metrics computer adds targets, status and comparisons."""

    value: float | None
    query: str
    row_count: int
    tables: tuple[str, ...] = ()
    n: int | None = None
    #: successes for a rate (for the Wilson interval), when the value is a proportion
    successes: int | None = None
    #: (low, high, method) when the compute function already knows an interval
    interval: tuple[float, float, str] | None = None
    #: what a ranked part is about today ("funding_rate" for feature_share.top1, a regime
    #: for regime_return_change.top1): readers and the number verifier name it so
    subject: str | None = None


@dataclass(frozen=True)
class MetricSpec:
    """A metric: its definition and how to compute it for a day.

    ``compute(ctx)`` returns a :class:`MetricResult`. ``ctx`` is the metrics
    computer's context (a DuckDB connection over the store's views and the day).
    """

    id: str
    name: str
    category: str
    unit: str
    formula: str
    compute: Callable[[Any], MetricResult]
    description: str = ""
    precision: int = 2
    higher_is_better: bool | None = None
    targets: Targets | None = None
    #: alert rules: {"critical": "value < 0.5", ...} evaluated by the computer
    alerts: Mapping[str, str] = field(default_factory=dict)
    #: bounds the value must lie within (self-check)
    range: tuple[float | None, float | None] = (None, None)
    #: a key metric: the digest always shows it; other metrics only when warning or
    #: critical (and in its "All other metrics" appendix)
    key: bool = False
    #: other names a desk uses for the metric ("win rate", "hit rate", "AUC"); the number
    #: verifier binds a number to this metric when its clause uses one of them
    synonyms: tuple[str, ...] = ()
    #: the metric's parts in id order (mode, gate, source), each with the extra words a
    #: desk uses for it ("runners", "scalping"); the part's own name with spaces or
    #: hyphens is always understood. Empty for a metric without parts.
    parts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: what kind of number it is, which sets the sample it needs before it is judged:
    #: count | rate | mean | discrimination | calibration | days | value ("" = from the unit)
    kind: str = ""
    #: the smallest n at which its status and its changes are judged; None = the kind's
    #: default (``min_n:`` in metrics.yaml). Below it the status is ``insufficient_data``.
    min_n: int | None = None
    #: "finding": a zero on a trading day is a finding (status ``zero``), never green
    on_zero: str = ""
    #: where any real value lies; outside it the self-check warns (wrong units or inputs)
    plausible: tuple[float | None, float | None] = (None, None)


@dataclass(frozen=True)
class LearnerSpec:
    """How a learner's models are fitted, serialised and loaded.

    ``load`` is only ever called on bytes whose SHA256 was verified against the
    registry first.
    """

    name: str
    fit: Callable[[Any, Any], Any]
    predict_proba: Callable[[Any, Any], Any]
    dumps: Callable[[Any], bytes]
    loads: Callable[[bytes], Any]
    format: str = "pickle"
    description: str = ""


@dataclass(frozen=True)
class DeliveryResult:
    channel: str
    ok: bool
    detail: str = ""
    attempts: int = 1
    permanent: bool = False


@runtime_checkable
class Notifier(Protocol):
    """A delivery channel. ``send_digest`` receives the rendered digest."""

    name: str

    def enabled(self) -> bool: ...

    def send_digest(self, rendered: Any) -> Awaitable[DeliveryResult]: ...

    def send_alert(self, alert: Any) -> Awaitable[DeliveryResult]: ...


@dataclass(frozen=True)
class DigestSection:
    """A section a plugin adds to the digest; ``text`` may use metric placeholders."""

    key: str
    title: str
    text: str
    order: int = 100
