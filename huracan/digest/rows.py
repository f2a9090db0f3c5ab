"""Digest rows from snapshot metrics: one per metric, one per family split by mode.

A family is a metric with its parts by mode or by event source (``shadow_win_rate``,
``shadow_win_rate.runner``, ``shadow_win_rate.scalp``): one row, ``all 48.0 % · runner
45.2 % · scalp 50.0 %``, reads better on a phone than three. Each row says *why* it is
not ok once, in the snapshot's own words (``below the 87.0 % target``), naming the part
when only some parts are affected.

Every number is the snapshot's, formatted by :mod:`huracan.digest.numbers`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import get_args

from huracan.analytics.format import format_value
from huracan.analytics.snapshot import MetricsSnapshot, MetricValue, Readiness
from huracan.digest.model import STATUS_RANK, Row, worst
from huracan.digest.numbers import format_change, format_judged, format_metric
from huracan.events import Source, known_modes

__all__ = [
    "Family",
    "families",
    "label",
    "readiness_row",
    "readiness_sentence",
    "row_of",
    "section_for_category",
    "shown_in_sections",
]

#: Parts that join into one row: modes (open set) and event sources.
_SOURCES = frozenset(get_args(Source))

# Metric categories are an open set (plugins add theirs); known spellings map to a
# built-in section, anything else gets a section of its own after these.
_CATEGORY_SECTION = {
    "learning": "learning",
    "training": "learning",
    "calibration": "learning",
    "model_quality": "learning",
    "shadow": "shadow",
    "shadow_trading": "shadow",
    "trading": "shadow",
    "gates": "gates",
    "gate": "gates",
    "readiness": "models",
    "models": "models",
    "model": "models",
    "export": "models",
    "exports": "models",
    "registry": "models",
    "hamilton": "hamilton",
    "live": "hamilton",
    "pipeline": "pipeline",
    "health": "pipeline",
    "ingest": "pipeline",
    "data_quality": "pipeline",
    "system": "pipeline",
}


def section_for_category(category: str) -> str:
    """The section key a metric category belongs to (unknown categories keep their name)."""
    return _CATEGORY_SECTION.get(category.lower(), category.lower())


def label(m: MetricValue) -> str:
    """The metric's name, with its part when the name does not already say it."""
    part = m.id.split(".", 1)[1] if "." in m.id else ""
    if part and not all(p.lower() in m.name.lower() for p in part.split(".")):
        return f"{m.name} · {part.replace('.', ' · ')}"
    return m.name


def _gate_hint(m: MetricValue) -> str:
    if m.id.startswith("gate_pass_rate") and m.targets and m.value is not None:
        if m.targets.min is not None and m.value < m.targets.min:
            return "the gate may be too strict"
        if m.targets.max is not None and m.value > m.targets.max:
            return "the gate may be too loose"
    return ""


#: statuses a row explains in its note (a finding, or why a value is not judged)
_EXPLAINED = ("warning", "critical", "zero", "insufficient_data")
_FINDINGS = ("warning", "critical", "zero")


def _reason(m: MetricValue) -> str:
    if m.status not in _EXPLAINED:
        return ""
    hint = _gate_hint(m)
    reason = m.status_reason or ""
    return f"{reason} — {hint}" if reason and hint else reason or hint


class Family:
    """A metric and its parts (possibly just one metric), shown as one row."""

    def __init__(self, key: str, total: MetricValue | None, parts: Sequence[tuple[str, MetricValue]]) -> None:
        self.key = key
        self.total = total
        self.parts = list(parts)

    @property
    def members(self) -> list[MetricValue]:
        return ([self.total] if self.total is not None else []) + [m for _, m in self.parts]

    @property
    def status(self) -> str:
        # A part without data does not grey out a family whose total is fine.
        statuses: list[str] = [m.status for m in self.members]
        bad = [x for x in statuses if x in _FINDINGS]
        if bad or self.total is None:
            return worst(bad or statuses)
        return self.total.status

    @property
    def is_key(self) -> bool:
        return any(m.key for m in self.members)

    @property
    def category(self) -> str:
        return self.members[0].category

    def row(self) -> Row:
        """The family's row (a single metric's row when it has no parts)."""
        if not self.parts and self.total is not None:
            return row_of(self.total)
        named = ([("all", self.total)] if self.total is not None else []) + self.parts
        first = self.parts[0][1]
        name = self.total.name if self.total is not None else _strip_part(label(first), self.parts[0][0])
        changes = [(part, m) for part, m in named if format_change(m)]
        change = ""
        if changes:
            change = "vs yesterday: " + " · ".join(
                f"{part} {format_value(m, 'delta_1d')}{' (significant)' if _significant(m) else ''}"
                for part, m in changes
            )
        shown = [(part, format_judged(m) if part == "all" else format_metric(m)) for part, m in named]
        return Row(
            label=name,
            value=" · ".join(f"{part} {v}" for part, v in shown),
            status=self.status,
            change=change,
            note=_family_note(named),
            metric_id=self.key,
            parts=tuple(shown),
        )


def _significant(m: MetricValue) -> bool:
    return bool(m.vs_prev_day and m.vs_prev_day.significant)


def _strip_part(name: str, part: str) -> str:
    for suffix in (f" · {part}", f" ({part})"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _family_note(named: Sequence[tuple[str, MetricValue]]) -> str:
    """Why the family is not ok, said once: the total's reason, else the parts'."""
    bad = [(part, m) for part, m in named if m.status in _FINDINGS]
    if not bad:
        return ""
    # Most serious first; the total's reason stands for the parts at its level.
    bad.sort(key=lambda pm: (-STATUS_RANK.get(pm[1].status, 0), pm[0] != "all"))
    if bad[0][0] == "all":
        return _reason(bad[0][1])
    said = [f"{part}: {_reason(m)}" for part, m in bad[:2]]
    if len(bad) > 2:
        said.append(f"also {', '.join(part for part, _ in bad[2:])}")
    return "; ".join(said)


def row_of(m: MetricValue) -> Row:
    """One metric's row: name, formatted value, status, change vs yesterday, why."""
    return Row(
        label=label(m),
        value=format_judged(m),
        status=m.status,
        change=format_change(m),
        note=_reason(m),
        metric_id=m.id,
    )


def families(metrics: Iterable[MetricValue], also: Iterable[str] = ()) -> list[Family]:
    """Group ``metrics`` (in order) into families joined by mode or source.

    ``also`` names more parts to join by (the appendix joins gates too: one line for
    a metric's six gates).
    """
    metrics = list(metrics)
    joinable = set(known_modes()) | _SOURCES | set(also)
    by_id = {m.id: m for m in metrics}
    groups: dict[str, list[tuple[str, MetricValue]]] = {}
    for m in metrics:
        base, _, last = m.id.rpartition(".")
        if base and last in joinable:
            groups.setdefault(base, []).append((last, m))
    groups = {b: ps for b, ps in groups.items() if len(ps) > 1 or b in by_id}
    out: list[Family] = []
    done: set[str] = set()
    for m in metrics:
        base, _, last = m.id.rpartition(".")
        key = m.id if m.id in groups else (base if base in groups and last in joinable else None)
        if key is None:
            out.append(Family(m.id, m, []))
        elif key not in done:
            done.add(key)
            out.append(Family(key, by_id.get(key), groups[key]))
    return out


def shown_in_sections(f: Family) -> bool:
    """Key metrics, and any metric that is warning or critical, get a section row."""
    return f.is_key or STATUS_RANK.get(f.status, 0) >= STATUS_RANK["warning"]


def _chain(checks: dict[str, bool]) -> str:
    if "exported" not in checks:
        return ""
    if not checks["exported"]:
        return "not exported yet"
    if checks.get("acknowledged"):
        return "exported and acknowledged by Hamilton"
    return "exported, not yet acknowledged by Hamilton"


def readiness_row(r: Readiness | None) -> Row | None:
    """ "Ready for Hamilton: yes" with the model's short id and where it is on the chain."""
    if r is None:
        return None
    model = f"model {(r.model_id or 'none')[:12]}"
    if r.ready:
        chain = _chain(r.checks)
        return Row("Ready for Hamilton", "yes", "ok", note=f"{model}, {chain}" if chain else model)
    why = "; ".join(r.reasons) or "the readiness rule is not met"
    return Row("Ready for Hamilton", "no", "warning", note=f"{model}: {why}")


def readiness_sentence(snapshot: MetricsSnapshot, headline: bool = False) -> str:
    """The verdict's sentence on which model is (not) ready for Hamilton.

    With ``headline`` True the headline already names the ready model, so the sentence
    says only where it is on the export chain ('' when that is unknown).
    """
    r = snapshot.readiness
    if r is None:
        return "No model was trained on this day, so there is nothing new for Hamilton."
    model = (r.model_id or "")[:12]
    if r.ready:
        chain = _chain(r.checks)
        if headline:
            return f"{chain[:1].upper()}{chain[1:]}." if chain else ""
        return f"Model {model} is ready for Hamilton" + (f", {chain}." if chain else ".")
    why = "; ".join(r.reasons) or "the readiness rule is not met"
    return f"Model {model} is not ready for Hamilton: {why}."
