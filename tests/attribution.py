"""An independent attribution check of published text (issue 11's "a script").

Deliberately *not* the council's verifier: a plain reading of each sentence. Every number
must equal — within its own printed rounding — some field of a metric the sentence names
by id, name or synonym (value, interval, baselines, changes, n, targets, in the metric's
units), and every direction word must agree with a named metric's change (or with the
readiness verdict). It is looser than the verifier (any named metric, any field), so a
sentence it rejects is one no reader could attribute.
"""

from __future__ import annotations

import re

from huracan.analytics.format import number_for
from huracan.analytics.snapshot import MetricsSnapshot, MetricValue

__all__ = ["unattributable"]

_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?=\S))+(?:[.!?]+|$|\n)")
_NUMBER = re.compile(r"(?<![\w.])([+\-−–]?\$?\d[\d,]*(?:\.\d+)?)\s?(%|pp|bps|ms|s)?(?![\w])")
_SKIP = re.compile(
    r"\d{4}-\d{2}-\d{2}|\b\d{1,2}:\d{2}\b|\b[0-9a-f]{8,}\b|\b\w*\d\w*[a-z]\w*\b|\(\s*\d+\s*days?\s*\)", re.I
)
_UP = re.compile(r"\b(rose|increased|climbed|jumped|surged|improved|grew|widened)\b", re.I)
_DOWN = re.compile(r"\b(fell|decreased|dropped|declined|plunged|worsened|shrank|narrowed)\b", re.I)
_FIELDS = ("value", "low", "high", "baseline_1d", "baseline_7d", "delta_1d", "delta_7d", "pct_1d", "pct_7d", "n")


def _named(sentence: str, snap: MetricsSnapshot) -> list[MetricValue]:
    low = sentence.lower()
    out = []
    for mid, m in snap.metrics.items():
        base = re.sub(r"\s*\(.*\)$", "", m.name).lower()
        parts = mid.split(".")[1:]
        words = [mid.lower(), m.name.lower()] + [w.lower() for w in m.synonyms]
        if any(w in low for w in words) or (
            base in low and (not parts or all(p.replace("_", " ") in low or p in low for p in parts))
        ):
            out.append(m)
    return out


def _candidates(m: MetricValue) -> list[float]:
    vals = [number_for(m, w) for w in _FIELDS]  # type: ignore[arg-type]
    if m.targets is not None:
        vals += [m.targets.min, m.targets.ideal, m.targets.max]
    out = []
    for v in vals:
        if v is None:
            continue
        out += [v, v * 100, v * 1e4, v / 100, v * 1000, v / 1000]
    return out


def _number_ok(text: str, named: list[MetricValue]) -> bool:
    raw = text.replace(",", "").replace("$", "").replace("−", "-").replace("–", "-")
    value = float(raw)
    decimals = len(raw.split(".")[1]) if "." in raw else 0
    tol = 0.5 * 10.0**-decimals + 1e-9
    return any(abs(abs(value) - abs(c)) <= tol for m in named for c in _candidates(m))


def _direction_ok(sentence: str, named: list[MetricValue], snap: MetricsSnapshot) -> bool:
    if "ready" in sentence.lower() and snap.readiness is not None:
        negated = bool(re.search(r"\bnot\b[^.]*\bready\b|\bnot ready\b", sentence, re.I))
        if snap.readiness.ready == negated:
            return False
    for pat, want in ((_UP, "up"), (_DOWN, "down")):
        if pat.search(sentence) and not re.search(r"\bnot (?:a )?significant|within noise", sentence, re.I):
            dirs = {c.direction for m in named for c in (m.vs_prev_day, m.vs_7d_mean) if c is not None}
            magnitude = {"down" if d == "up" else "up" for d in dirs}  # widening losses, narrowing gaps
            if want not in dirs | magnitude:
                return False
    return True


def unattributable(text: str, snap: MetricsSnapshot) -> list[str]:
    """The sentences of ``text`` with a number or direction word no named metric supports."""
    bad = []
    for m in _SENTENCE.finditer(text):
        sentence = m.group(0).strip()
        if not sentence:
            continue
        clean = _SKIP.sub(" ", sentence)
        named = _named(sentence, snap)
        numbers = [n.group(1) for n in _NUMBER.finditer(clean)]
        if any(not _number_ok(n, named) for n in numbers) or not _direction_ok(sentence, named, snap):
            bad.append(sentence)
    return bad
