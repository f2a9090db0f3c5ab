"""The digest's first screen: is a model ready, did learning improve, what is critical.

Written for a desk reading on a phone: the model's short id, learning "improved" or
"got worse" only when the change against yesterday is statistically significant (else
it "held steady"), and critical issues by metric name and value — deduplicated (a
family's total stands for its parts), at most three, then "and N more". Nothing
internal (alert names, rule text) reaches it.

Example::

    >>> verdict = build_verdict(snapshot, sections)            # doctest: +SKIP
    >>> verdict.headline, verdict.bullets[0]                    # doctest: +SKIP
    ('Model cf2eeab07e5e is ready for Hamilton', 'Model cf2eeab07e5e is ready for Hamilton, exported and …')
"""

from __future__ import annotations

from collections.abc import Sequence

from huracan.analytics.snapshot import MetricsSnapshot, MetricValue
from huracan.digest.model import Section, Verdict
from huracan.digest.numbers import format_change, format_metric
from huracan.digest.rows import label, readiness_sentence, section_for_category

__all__ = ["MAX_CRITICAL", "build_verdict", "critical_items", "metric_alert"]

#: Critical issues named in the verdict before "and N more".
MAX_CRITICAL = 3
_QUALITY_UNITS = ("score", "fraction", "ratio")


def metric_alert(snapshot: MetricsSnapshot, alert: dict[str, object]) -> bool:
    """True when ``alert`` is a metric's rule firing (the metric's row already says it)."""
    return str(alert.get("metric_id") or "") in snapshot.metrics


def humanize(name: str) -> str:
    """``'digest_not_delivered'`` → ``'Digest not delivered'``."""
    words = name.replace("_", " ").replace(".", " ").strip()
    return words[:1].upper() + words[1:]


def critical_items(snapshot: MetricsSnapshot) -> list[str]:
    """Critical issues as "name value", deduplicated, in a stable order."""
    critical = {m.id: m for m in snapshot.metrics.values() if m.status == "critical"}
    items: list[str] = []
    for mid, m in sorted(critical.items()):
        # A critical total stands for its parts: "Events stored 0", not four lines.
        if any(mid.startswith(f"{other}.") for other in critical if other != mid):
            continue
        items.append(f"{label(m)} {format_metric(m)}")
    seen: set[str] = set()
    for a in snapshot.alerts:
        if str(a.get("severity", "")).upper() not in ("CRITICAL", "ERROR") or metric_alert(snapshot, a):
            continue
        text = humanize(str(a.get("name", "alert")))
        if text not in seen:
            seen.add(text)
            items.append(text)
    if not snapshot.self_check.passed:
        items.append("the metrics self-check failed (see Pipeline health)")
    return items


def _learning_sentence(snapshot: MetricsSnapshot) -> str:
    quality = [
        m
        for m in snapshot.metrics.values()
        if m.key
        and section_for_category(m.category) == "learning"
        and m.unit in _QUALITY_UNITS
        and m.higher_is_better is not None
        and m.value is not None
    ]
    compared = [m for m in quality if m.vs_prev_day is not None and m.vs_prev_day.significant is not None]
    if not compared:
        return ""
    better: list[MetricValue] = []
    worse: list[MetricValue] = []
    for m in compared:
        c = m.vs_prev_day
        if c is None or not c.significant or c.direction in (None, "flat"):
            continue
        (better if (c.direction == "up") == m.higher_is_better else worse).append(m)
    said = [f"{label(m)} {format_metric(m)} ({format_change(m)})" for m in better + worse]
    if better and not worse:
        return f"Learning improved: {'; '.join(said)}."
    if worse and not better:
        return f"Learning got worse: {'; '.join(said)}."
    if better and worse:
        return f"Learning was mixed: {'; '.join(said)}."
    values = ", ".join(f"{label(m)} {format_metric(m)}" for m in compared)
    return f"Learning held steady: {values}, no significant change since yesterday."


def build_verdict(snapshot: MetricsSnapshot, sections: Sequence[Section]) -> Verdict:
    """The verdict of the day from the snapshot and the built sections."""
    r = snapshot.readiness
    critical = critical_items(snapshot)
    # When the headline is "Model … is ready", the first bullet adds the export chain.
    ready_headline = not critical and r is not None and r.ready
    bullets = [b for b in (readiness_sentence(snapshot, headline=ready_headline), _learning_sentence(snapshot)) if b]
    if critical:
        shown = "; ".join(critical[:MAX_CRITICAL])
        more = len(critical) - MAX_CRITICAL
        bullets.append(f"Critical: {shown}" + (f"; and {more} more." if more > 0 else "."))
    zeros = [f"{label(m)} {format_metric(m)}" for m in snapshot.metrics.values() if m.status == "zero"]
    if zeros:  # a finding, never green (#12)
        more = len(zeros) - MAX_CRITICAL
        bullets.append(
            "Zero on a trading day: " + "; ".join(zeros[:MAX_CRITICAL]) + (f"; and {more} more." if more > 0 else ".")
        )
    implausible = [w.split(" = ", 1)[0] for w in snapshot.self_check.warnings]
    if implausible:
        named = ", ".join(label(snapshot.metrics[m]) for m in implausible if m in snapshot.metrics)
        bullets.append(f"Implausible, check before trusting: {named} (see Pipeline health).")
    warned = [r.label for s in sections for r in s.rows if r.status == "warning"]
    warnings = len(warned)
    if warned:  # name them: "2 warnings" alone sends the reader hunting (issue 16)
        shown = "; ".join(warned[:MAX_CRITICAL])
        more = len(warned) - MAX_CRITICAL
        bullets.append(f"Warning{'s' if warnings != 1 else ''}: {shown}" + (f"; and {more} more." if more > 0 else "."))

    if critical:
        n = len(critical)
        return Verdict(f"Needs attention: {n} critical issue{'s' if n != 1 else ''}", "critical", tuple(bullets))
    status = "warning" if warnings else "ok"
    if r is not None and r.ready:
        # The box's colour is the headline's news; the warnings have their own bullet and dots.
        return Verdict(f"Model {(r.model_id or '')[:12]} is ready for Hamilton", "ok", tuple(bullets))
    if r is not None:
        return Verdict("No model ready for Hamilton yet", "warning", tuple(bullets))
    return Verdict("No new model today", status, tuple(bullets))
