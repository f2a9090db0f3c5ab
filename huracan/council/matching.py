"""Does a number equal a field of *its* metric? And if not, whose number is it?

:func:`match_metric` checks a printed number against the fields of the one metric its
clause names, in every way that metric's unit may be written (a fraction as a percent,
bps as a percent, seconds as ms or minutes …), within the rounding the number's own
precision allows — but never coarser than one decimal less than the metric prints, or
5 % of the value: "AUC 0.7" does not verify 0.699, "1.5 million events" does verify
1,484,503. Signs count: a signed number matches a signed value; an unsigned change takes
its sign from the word before it ("fell 2.7 pp"); an unsigned level is positive unless
the clause calls it a loss.

:class:`SnapshotIndex` answers the other question — which snapshot number a failed
number happens to equal — so a failure can say *wrong record* (it is the true value of
some other field or metric) rather than just *unverified*.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from huracan.analytics.snapshot import MetricsSnapshot, MetricValue
from huracan.council.numbers import NumberToken
from huracan.council.placeholders import FIELDS, field_kind, number_of

__all__ = ["ALL_FIELDS", "Match", "SnapshotIndex", "displays", "match_metric", "raw_of"]

#: Every field a number may be: the placeholder fields' ``which`` and the interval's level.
ALL_FIELDS = (*dict.fromkeys(FIELDS.values()), "level")
_EPS = 1e-9


@dataclass(frozen=True)
class Match:
    """The field a number matched (``field`` None: no match; ``coarse``: only too coarsely)."""

    field: str | None
    coarse: bool = False


def raw_of(metric: MetricValue, which: str) -> float | None:
    """The raw number behind a field (``level``: the interval's confidence level)."""
    if which == "level":
        return None if metric.interval is None else metric.interval.level
    return number_of(metric, which)


def _precision(metric: MetricValue, which: str) -> int:
    if which in ("n", "level"):
        return 0
    if which.startswith("pct"):
        return 1
    return metric.precision


def displays(metric: MetricValue, which: str, raw: float) -> list[tuple[float, frozenset[str], float]]:
    """(number as shown, units it may carry, scale vs the metric's own display) for one field."""
    v, kind, u = raw, field_kind(which), metric.unit
    if which == "level":
        return [(v * 100, frozenset({"%"}), 1.0), (v, frozenset({""}), 0.01)]
    if kind == "count":
        return [(v, frozenset({""}), 1.0)]
    if kind == "pct":
        return [(v * 100, frozenset({"%"}), 1.0)]
    if u == "fraction":
        if kind == "delta":
            return [
                (v * 100, frozenset({"pp", ""}), 1.0),
                (v * 1e4, frozenset({"bps"}), 100.0),
                (v, frozenset({""}), 0.01),
            ]
        return [(v * 100, frozenset({"%", ""}), 1.0), (v, frozenset({""}), 0.01)]
    if u == "bps":
        return [
            (v, frozenset({"bps", ""}), 1.0),
            (v / 100, frozenset({"%"} | ({"pp"} if kind == "delta" else set())), 0.01),
        ]
    if u == "usd":
        return [(v, frozenset({"$", ""}), 1.0)]
    if u == "seconds":
        return [(v, frozenset({"s", ""}), 1.0), (v * 1000, frozenset({"ms"}), 1000.0), (v / 60, frozenset({"min"}), 1 / 60),
                (v / 3600, frozenset({"h"}), 1 / 3600)]  # fmt: skip
    if u == "ms":
        return [(v, frozenset({"ms", ""}), 1.0), (v / 1000, frozenset({"s"}), 0.001)]
    if u == "ratio":
        return [(v, frozenset({"", "x"}), 1.0)]
    if u == "bool":
        return []
    return [(v, frozenset({""}), 1.0)]


def _close(
    tok: NumberToken, shown: float, scale: float, base_tol: float, negative_ok: bool, hint: int, kind: str
) -> str:
    """ "ok", "coarse" or "" (no match) for one display of one field."""
    cap = max(10 * base_tol * scale, 0.05 * abs(shown))
    bounded = tok.bound is not None and kind == "level"
    # A bound is exact as written ("well below 1"); only a stated value can be too coarse.
    coarse = not bounded and tok.tolerance > cap + _EPS * max(1.0, abs(shown))
    slack = (0.0 if bounded else tok.tolerance) + _EPS * max(1.0, abs(shown))
    if tok.signed:
        candidates = [tok.value]
    elif kind in ("delta", "pct"):
        candidates = [hint * tok.value] if hint else [tok.value, -tok.value]
    else:
        candidates = [tok.value, -tok.value] if negative_ok else [tok.value]
    for c in candidates:
        if abs(c - shown) <= _EPS * max(1.0, abs(shown)):
            return "ok"  # exactly the number: never too coarse ("a 3 bps maximum")
        if tok.bound == "ge" and kind == "level":
            ok = shown >= c - slack
        elif tok.bound == "le" and kind == "level":
            ok = shown <= c + slack
        else:
            ok = abs(c - shown) <= slack
        if ok:
            return "coarse" if coarse else "ok"
    return ""


def match_field(tok: NumberToken, metric: MetricValue, which: str, negative_ok: bool = False, hint: int = 0) -> Match:
    """Whether ``tok`` is field ``which`` of ``metric`` as printed."""
    raw = raw_of(metric, which)
    if raw is None:
        return Match(None)
    base_tol = 0.5 * 10.0 ** -_precision(metric, which)
    kind = "level" if which == "level" else field_kind(which)
    coarse = False
    for shown, units, scale in displays(metric, which, float(raw)):
        if tok.unit not in units:
            continue
        if tok.unit == "" and metric.unit == "fraction" and scale == 1.0 and kind == "level" and abs(tok.value) <= 1:
            continue  # "Overall pass rate: 0.9" reads as 90 %, not 0.9 %
        verdict = _close(tok, shown, scale, base_tol, negative_ok, hint, kind)
        if verdict == "ok":
            return Match(which)
        coarse = coarse or verdict == "coarse"
    return Match(None, coarse)


def _multiple(tok: NumberToken, metric: MetricValue, scope: str | None, magnitude: bool) -> Match:
    """ "doubled", "2.5-fold", "3x yesterday's": today's value over the baseline."""
    for which in ("baseline_1d", "baseline_7d") if scope is None else (f"baseline_{scope}",):
        base = number_of(metric, which)
        if base is None or metric.value is None or base == 0:
            continue
        value, base_ = (abs(metric.value), abs(base)) if magnitude else (metric.value, base)
        ratio = value / base_
        if ratio <= 0:
            continue
        if tok.bound == "ge":
            ok = ratio >= tok.value - tok.tolerance
        elif tok.bound == "le":
            ok = ratio <= tok.value + tok.tolerance
        else:
            ok = abs(ratio - tok.value) <= tok.tolerance + _EPS
        if ok:
            return Match("ratio_" + which.removeprefix("baseline_"))
    return Match(None)


_CHANGE_WORDS = frozenset({"delta_1d", "delta_7d", "pct_1d", "pct_7d"})
_BASELINE_WORDS = frozenset({"baseline_1d", "baseline_7d"})


def claimed_fields(fields: frozenset[str], metric: MetricValue) -> frozenset[str]:
    """The fields a number may be, given its words' ``fields``: a change metric's value *is*
    a change ("the AUC rose +0.055 against the previous training" states model_auc_change),
    a before-metric's value *is* a baseline."""
    family = metric.id.split(".")[0]
    if family.endswith("_change") and fields and fields <= _CHANGE_WORDS:
        return fields | {"value"}
    if family.endswith("_before") and fields and fields <= _BASELINE_WORDS:
        return fields | {"value"}  # "down from 14.9 % at the previous training": the before-metric's value
    return fields


def match_metric(
    tok: NumberToken,
    metric: MetricValue,
    fields: frozenset[str],
    *,
    scope: str | None = None,
    negative_ok: bool = False,
    hint: int = 0,
    magnitude: bool = False,
) -> Match:
    """The first of ``fields`` of ``metric`` that ``tok`` is, as printed."""
    if tok.kind == "multiplier" or (tok.kind == "number" and tok.unit == "x" and metric.unit != "ratio"):
        return _multiple(tok, metric, scope, magnitude)
    if tok.kind == "ratio":
        if metric.unit == "ratio":
            return match_field(tok, metric, "value")
        if metric.unit == "fraction" and tok.share is not None and metric.value is not None:
            # "won 3 to 1" is a share of 75 %, as exact as its ratio: 2.5:1 … 3.5:1 is 71.4 … 77.8 %
            r, t = tok.value, tok.tolerance
            lo, hi = 100 * max(r - t, 0.0) / (max(r - t, 0.0) + 1), 100 * (r + t) / (r + t + 1)
            return Match("value" if lo - _EPS <= metric.value * 100 <= hi + _EPS else None)
        return Match(None)
    coarse = False
    for which in sorted(fields, key=ALL_FIELDS.index):
        m = match_field(tok, metric, which, negative_ok, hint)
        if m.field:
            return m
        coarse = coarse or m.coarse
    return Match(None, coarse)


class SnapshotIndex:
    """Every printable form of every snapshot number, sorted for range lookups."""

    def __init__(self, snapshot: MetricsSnapshot):
        rows: list[tuple[float, str, str]] = []
        for mid, m in snapshot.metrics.items():
            for which in ALL_FIELDS:
                raw = raw_of(m, which)
                if raw is None:
                    continue
                for shown, _units, _ in displays(m, which, float(raw)):
                    rows.append((abs(shown), mid, which))
        rows.sort()
        self._rows = rows
        self._keys = [r[0] for r in rows]
        self.snapshot = snapshot

    def whose(self, tok: NumberToken, prefer: str | None = None) -> str | None:
        """``metric.field`` of a snapshot number ``tok`` is (as printed), preferring ``prefer``'s fields."""
        if tok.kind != "number":
            return None
        slack = tok.tolerance + _EPS * max(1.0, abs(tok.value))
        lo = bisect.bisect_left(self._keys, abs(tok.value) - slack)
        hi = bisect.bisect_right(self._keys, abs(tok.value) + slack)
        found: list[tuple[bool, str, str]] = []
        for _, mid, which in self._rows[lo:hi]:
            m = self.snapshot.metrics[mid]
            if match_field(tok, m, which, negative_ok=True).field:
                found.append((mid != prefer, mid, which))
        if not found:
            return None
        _, mid, which = min(found)
        return f"{mid}.{which}"
