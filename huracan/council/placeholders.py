"""Numbers by reference: ``{auc}``, ``{auc.delta_1d}``, ``{gate_pass_rate.cost_gate.n}``.

Models are asked to name snapshot values instead of writing numbers; this module fills
them in with the metric's unit and precision (through the shared
:func:`huracan.analytics.format.format_value`). Metric ids contain dots, so the id is
the *longest* dotted prefix that is a metric; what follows is one field name.

Example::

    >>> text = render("AUC {auc} ({auc.delta_1d} vs yesterday)", snapshot).text  # doctest: +SKIP
    'AUC 0.712 (+0.012 vs yesterday)'
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Literal

from huracan.analytics.format import Which, format_number, format_value, number_for
from huracan.analytics.snapshot import MetricsSnapshot, MetricValue

__all__ = [
    "FIELDS",
    "REMOVED",
    "Placeholder",
    "PlaceholderError",
    "Rendered",
    "RenderedSpan",
    "Resolved",
    "find_placeholders",
    "render",
    "resolve",
]

#: What replaces a number (or placeholder) that could not be verified.
REMOVED = "[number removed]"

PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][\w.\-]*)\}")

#: Placeholder field → (format_value's ``which`` or a target bound, kind of number).
FIELDS: dict[str, str] = {
    "value": "value",
    "n": "n",
    "low": "low",
    "high": "high",
    "prev": "baseline_1d",
    "baseline_1d": "baseline_1d",
    "delta_1d": "delta_1d",
    "pct_1d": "pct_1d",
    "mean_7d": "baseline_7d",
    "baseline_7d": "baseline_7d",
    "delta_7d": "delta_7d",
    "pct_7d": "pct_7d",
    "target_min": "target_min",
    "target_ideal": "target_ideal",
    "target_max": "target_max",
}

Kind = Literal["level", "delta", "pct", "count"]


def field_kind(which: str) -> Kind:
    """How a field's number is written: a level, a signed change, a % change, a count."""
    if which.startswith("delta"):
        return "delta"
    if which.startswith("pct"):
        return "pct"
    if which == "n":
        return "count"
    return "level"


class PlaceholderError(ValueError):
    """A placeholder names no snapshot value."""


@dataclass(frozen=True)
class Placeholder:
    expr: str
    start: int
    end: int


@dataclass(frozen=True)
class Resolved:
    metric_id: str
    field: str
    which: str
    value: float
    text: str


@dataclass(frozen=True)
class RenderedSpan:
    start: int
    end: int
    metric_id: str
    which: str


@dataclass
class Rendered:
    text: str
    spans: list[RenderedSpan] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (placeholder as written, why)


def find_placeholders(text: str) -> list[Placeholder]:
    """Every ``{...}`` placeholder in ``text``, in order."""
    return [Placeholder(m.group(1), m.start(), m.end()) for m in PLACEHOLDER_RE.finditer(text)]


def number_of(metric: MetricValue, which: str) -> float | None:
    """The raw snapshot number behind a field (targets included)."""
    if which.startswith("target_"):
        t = metric.targets
        return None if t is None else getattr(t, which.removeprefix("target_"))  # type: ignore[no-any-return]
    return number_for(metric, which)  # type: ignore[arg-type]


def text_of(metric: MetricValue, which: str) -> str:
    """The number behind a field, formatted the one shared way."""
    if which.startswith("target_"):
        return format_number(number_of(metric, which), metric.unit, metric.precision)
    w: Which = which  # type: ignore[assignment]
    return format_value(metric, w)


def _split(expr: str, snapshot: MetricsSnapshot) -> tuple[str, str]:
    parts = expr.split(".")
    for cut in range(len(parts), 0, -1):
        mid = ".".join(parts[:cut])
        if mid in snapshot.metrics:
            rest = parts[cut:]
            if len(rest) > 1:
                raise PlaceholderError(
                    f"{{{expr}}}: metric {mid!r} has no field {'.'.join(rest)!r}; use one of: {', '.join(FIELDS)}"
                )
            return mid, rest[0] if rest else "value"
    close = difflib.get_close_matches(expr, list(snapshot.metrics), n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join('{' + c + '}' for c in close)}?" if close else ""
    raise PlaceholderError(f"{{{expr}}}: no metric {expr!r} in the snapshot.{hint}")


def resolve(expr: str, snapshot: MetricsSnapshot) -> Resolved:
    """Resolve ``expr`` (without braces) to a snapshot number and its formatted text.

    Raises :class:`PlaceholderError` naming what was wrong and what would be right.
    """
    metric_id, fld = _split(expr, snapshot)
    which = FIELDS.get(fld)
    if which is None:
        raise PlaceholderError(f"{{{expr}}}: {fld!r} is not a field; use one of: {', '.join(FIELDS)}")
    metric = snapshot.metrics[metric_id]
    number = number_of(metric, which)
    if number is None:
        raise PlaceholderError(f"{{{expr}}}: metric {metric_id!r} has no {fld} today (it is empty in the snapshot)")
    return Resolved(metric_id, fld, which, float(number), text_of(metric, which))


def render(text: str, snapshot: MetricsSnapshot, *, on_error: Literal["keep", "remove"] = "keep") -> Rendered:
    """Fill every placeholder; collect the ones that name nothing.

    ``on_error="keep"`` leaves a bad placeholder as written (to feed it back to the
    model); ``"remove"`` replaces it with :data:`REMOVED` (for publishing).
    """
    out: list[str] = []
    spans: list[RenderedSpan] = []
    errors: list[tuple[str, str]] = []
    pos = 0
    length = 0
    for ph in find_placeholders(text):
        out.append(text[pos : ph.start])
        length += ph.start - pos
        try:
            r = resolve(ph.expr, snapshot)
            piece = r.text
            spans.append(RenderedSpan(length, length + len(piece), r.metric_id, r.which))
        except PlaceholderError as exc:
            errors.append((text[ph.start : ph.end], str(exc)))
            piece = text[ph.start : ph.end] if on_error == "keep" else REMOVED
        out.append(piece)
        length += len(piece)
        pos = ph.end
    out.append(text[pos:])
    return Rendered("".join(out), spans, errors)
