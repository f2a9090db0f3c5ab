"""Numbers by reference: ``{auc}``, ``{auc.delta_1d}``, ``{gate_pass_rate.cost_gate.n}``.

Models are asked to name snapshot values instead of writing numbers; this module fills
them in with the metric's unit and precision (through the shared
:func:`huracan.analytics.format.format_value`). Metric ids contain dots, so the id is
the *longest* dotted prefix that is a metric; what follows is one field name.

A placeholder prints with its metric's own label where its sentence does not name that
metric (issue 11), so a number can never be read as another metric's: "Performance held
at {shadow_win_rate}" prints "Performance held at 60.5 % (shadow win rate)". A sentence
that names a *different* metric for it ("The live win rate was {shadow_win_rate}") is
not relabelled into sense: the verifier reads the number as the live win rate, finds it
false, and the sentence is removed.

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
    "Placeholder",
    "PlaceholderError",
    "Rendered",
    "RenderedSpan",
    "Resolved",
    "find_placeholders",
    "label_of",
    "render",
    "resolve",
]

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
    """Where a placeholder's number is in the rendered text (``label_end``: its label's end)."""

    start: int
    end: int
    metric_id: str
    which: str
    label_end: int = 0


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


#: How a label says which field a placeholder printed.
_FIELD_WORDS = {
    "n": "sample size", "low": "interval low", "high": "interval high", "baseline_1d": "yesterday",
    "baseline_7d": "7-day mean", "delta_1d": "change vs yesterday", "delta_7d": "change vs the 7-day mean",
    "pct_1d": "% change vs yesterday", "pct_7d": "% change vs the 7-day mean", "target_min": "target minimum",
    "target_ideal": "target ideal", "target_max": "target maximum",
}  # fmt: skip


def label_of(metric: MetricValue, which: str = "value", parts: tuple[str, ...] | None = None) -> str:
    """The words that name a metric (and a field) in print: "shadow win rate, runner"."""
    segs = tuple(metric.parts) if parts is None else parts
    base = re.sub(r"\s*\([^)]*\)\s*$", "", metric.name) if segs else metric.name
    base = base if base[:2].isupper() else base[:1].lower() + base[1:]
    parts_ = [p.replace("_", " ") for p in segs]
    words = [base, *parts_] + ([_FIELD_WORDS[which]] if which in _FIELD_WORDS else [])
    return ", ".join(words)


def _parts(snapshot: MetricsSnapshot, metric_id: str) -> tuple[str, ...]:
    from huracan.council.lexicon import lexicon_for

    return lexicon_for(snapshot).metric_parts.get(metric_id, ())


def _named(text: str, snapshot: MetricsSnapshot) -> list[tuple[int, int, set[str]]]:
    """(start, end, metric ids named) of each sentence, bullet or row of ``text``."""
    from huracan.council.lexicon import lexicon_for
    from huracan.council.segments import clauses, units

    masked = PLACEHOLDER_RE.sub(lambda m: " " * len(m.group(0)), text)
    lex = lexicon_for(snapshot)
    hits = lex.scan(masked)
    out = []
    for u in units(masked):
        named: set[str] = set()
        for c0, c1 in clauses(masked, u):
            found = lex.resolve(masked, (c0, c1), [h for h in hits if c0 <= h.start < c1])
            named |= {m.metric_id for m in found}
        out.append((u.start, u.end, named))
    return out


def _field_said(text: str, ph: Placeholder, r: Resolved, snapshot: MetricsSnapshot) -> bool:
    """Whether the words around a placeholder say which field it prints ("from {x.prev}",
    "({x.delta_1d} vs yesterday)", "on {x.n} trades", "a minimum of {x.target_min}")."""
    from huracan.council.cues import roles_for
    from huracan.council.numbers import NumberToken

    head = text[: ph.start]
    # the second end of a range ("{x.low}–{x.high}", "from {x.low} to {x.high}") shares the
    # words before the first
    pair = re.search(r"\{[^{}]*\}\s?(?:[–—-]|to|and)\s?[+−-]?$", head)
    head = head[: pair.start()] if pair else head
    before = head[-40:]
    before = before[before.rfind("}") + 1 :]
    after = text[ph.end : ph.end + 40]
    after = after[: after.find("{")] if "{" in after else after
    signed = r.text[:1] in "+-−"
    unit = "%" if r.text.endswith("%") else "pp" if r.text.endswith("pp") else ""
    tok = NumberToken(r.text, 0, 0, r.value, 0.0, signed, unit)
    roles = roles_for(tok, before, after, before + after, snapshot.metrics[r.metric_id].unit)
    return r.which in roles.fields and (roles.specific or signed)


def render(text: str, snapshot: MetricsSnapshot, *, label: bool = True) -> Rendered:
    """Fill every placeholder; collect the ones that name nothing (left as written, so the
    model can be told, and the sentence removed before publishing).

    With ``label`` a placeholder whose sentence does not name its metric prints its label.
    """
    out: list[str] = []
    spans: list[RenderedSpan] = []
    errors: list[tuple[str, str]] = []
    pos = 0
    length = 0
    named = _named(text, snapshot) if label and "{" in text else []
    for ph in find_placeholders(text):
        out.append(text[pos : ph.start])
        length += ph.start - pos
        try:
            r = resolve(ph.expr, snapshot)
            piece = r.text
            said = next((ids for a, b, ids in named if a <= ph.start < b), None)
            tail = ""
            if label and (said is None or r.metric_id not in said):
                tail = f" ({label_of(snapshot.metrics[r.metric_id], r.which, _parts(snapshot, r.metric_id))})"
            elif label and r.which in _FIELD_WORDS and not _field_said(text, ph, r, snapshot):
                tail = f" ({_FIELD_WORDS[r.which]})"  # "The AUC was 0.727 (interval high)": never the value
            spans.append(RenderedSpan(length, length + len(piece), r.metric_id, r.which, length + len(piece + tail)))
            piece += tail
        except PlaceholderError as exc:
            errors.append((text[ph.start : ph.end], str(exc)))
            piece = text[ph.start : ph.end]
        out.append(piece)
        length += len(piece)
        pos = ph.end
    out.append(text[pos:])
    return Rendered("".join(out), spans, errors)
