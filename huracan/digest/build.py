"""Assemble the day's :class:`Digest` from the snapshot, the council and the history.

The order is the reader's: the verdict first (is a model ready for Hamilton, did
learning improve *significantly*, is anything critical), then learning, shadow trading,
gates, models, Hamilton, pipeline health, alerts, plugin sections, and the council.
Every number comes from the snapshot through :mod:`huracan.digest.numbers`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from huracan.analytics.snapshot import MetricsSnapshot, MetricValue
from huracan.config import Settings
from huracan.council.placeholders import render as fill_placeholders
from huracan.council.schema import CouncilResult
from huracan.digest.charts import draw_charts
from huracan.digest.council_view import council_summary
from huracan.digest.history import History
from huracan.digest.model import Digest, Row, Section, Verdict, worst
from huracan.digest.numbers import format_change, format_metric
from huracan.events import known_modes
from huracan.plugins.types import DigestSection

__all__ = ["SECTIONS", "build_digest", "section_for_category"]

#: Built-in sections in reading order: (key, title).
SECTIONS: tuple[tuple[str, str], ...] = (
    ("learning", "Learning progress"),
    ("shadow", "Shadow trading by mode"),
    ("gates", "Gates"),
    ("models", "Model readiness and exports"),
    ("hamilton", "Hamilton: live vs shadow"),
    ("pipeline", "Pipeline health"),
)

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


def _label(m: MetricValue) -> str:
    # Dotted ids name a part ("shadow_win_rate.scalp"); say the part unless the name does.
    part = m.id.split(".", 1)[1] if "." in m.id else ""
    if part and part.replace(".", " ").lower() not in m.name.lower():
        return f"{m.name} · {part.replace('.', ' · ')}"
    return m.name


def _too_strict(m: MetricValue) -> str:
    if m.id.startswith("gate_pass_rate") and m.targets and m.targets.min is not None and m.value is not None:
        if m.value < m.targets.min:
            return "below its target range: the gate may be too strict"
        if m.targets.max is not None and m.value > m.targets.max:
            return "above its target range: the gate may be too loose"
    return ""


def _row(m: MetricValue) -> Row:
    note = _too_strict(m)
    if m.status in {"warning", "critical"} and m.status_reason:
        note = f"{m.status_reason}; {note}" if note else m.status_reason
    return Row(
        label=_label(m),
        value=format_metric(m),
        status=m.status,
        change=format_change(m),
        note=note,
        metric_id=m.id,
    )


def _strip_mode(name: str, mode: str) -> str:
    pattern = rf"\s*(\({re.escape(mode)}\)|·\s*{re.escape(mode)}|-\s*{re.escape(mode)})\s*$"
    return re.sub(pattern, "", name, flags=re.IGNORECASE).strip() or name


def _family_row(base: str, total: MetricValue | None, members: list[MetricValue]) -> Row:
    parts = ([("all", _row(total))] if total is not None else []) + [
        (m.id.rpartition(".")[2], _row(m)) for m in members
    ]
    first = members[0]
    label = total.name if total is not None else _strip_mode(_label(first), first.id.rpartition(".")[2])
    return Row(
        label=label,
        value=" · ".join(f"{mode} {r.value}" for mode, r in parts),
        status=worst([r.status for _, r in parts]),
        change=" · ".join(f"{mode} {r.change}" for mode, r in parts if r.change),
        note="; ".join(f"{mode}: {r.note}" for mode, r in parts if r.note),
        metric_id=base,
        parts=tuple((mode, r.value) for mode, r in parts),
    )


def _mode_rows(metrics: list[MetricValue], modes: frozenset[str]) -> list[Row]:
    """One row per metric, except that a family split by mode (``x.scalp``, ``x.runner``,
    and its total ``x`` when there is one) becomes one row — ``all 1.2 % · runner 83.8 %
    · scalp 72.2 %`` reads better on a phone than three rows."""
    by_id = {m.id: m for m in metrics}
    families: dict[str, list[MetricValue]] = {}
    for m in metrics:
        base, _, last = m.id.rpartition(".")
        if base and last in modes:
            families.setdefault(base, []).append(m)
    families = {b: ms for b, ms in families.items() if len(ms) > 1}
    rows: list[Row] = []
    done: set[str] = set()
    for m in metrics:
        base, _, last = m.id.rpartition(".")
        key = m.id if m.id in families else (base if base in families and last in modes else None)
        if key is None:
            rows.append(_row(m))
        elif key not in done:
            done.add(key)
            rows.append(_family_row(key, by_id.get(key), families[key]))
    return rows


def _readiness_rows(snapshot: MetricsSnapshot) -> tuple[list[Row], list[str]]:
    r = snapshot.readiness
    if r is None:
        return [], []
    model = (r.model_id or "none")[:12]
    rows = [
        Row("Ready for Hamilton", "yes" if r.ready else "no", "ok" if r.ready else "warning", note=f"model {model}")
    ]
    for check, passed in sorted(r.checks.items()):
        rows.append(
            Row(f"check: {check.replace('_', ' ')}", "pass" if passed else "fail", "ok" if passed else "warning")
        )
    return rows, list(r.reasons)


def _alert_section(snapshot: MetricsSnapshot) -> Section | None:
    if not snapshot.alerts:
        return None
    sev_status = {"CRITICAL": "critical", "ERROR": "critical", "WARNING": "warning"}
    rows = []
    for a in snapshot.alerts:
        sev = str(a.get("severity", "WARNING")).upper()
        rows.append(
            Row(
                label=str(a.get("name", "alert")),
                value=sev.lower(),
                status=sev_status.get(sev, "info"),
                note=str(a.get("message", "")),
            )
        )
    return Section("alerts", "Alerts", tuple(rows), status=worst([r.status for r in rows]))


def _fill_placeholders(text: str, snapshot: MetricsSnapshot) -> str:
    # The council's placeholder syntax ({auc}, {auc.delta_1d}); a placeholder that names
    # nothing is removed, never published as written.
    return fill_placeholders(text, snapshot, on_error="remove").text


def _verdict(snapshot: MetricsSnapshot, sections: Sequence[Section]) -> Verdict:
    bullets: list[str] = []
    r = snapshot.readiness
    if r is not None and r.ready:
        bullets.append(f"Model {(r.model_id or '')[:12]} is ready for Hamilton.")
    elif r is not None:
        why = f": {r.reasons[0]}" if r.reasons else "."
        bullets.append(f"No model is ready for Hamilton yet{why}")

    learning = next((s for s in sections if s.key == "learning"), None)
    for m in snapshot.metrics.values():
        c = m.vs_prev_day
        if section_for_category(m.category) != "learning" or c is None or not c.significant or learning is None:
            continue
        if m.higher_is_better is None or c.direction in (None, "flat"):
            continue
        better = (c.direction == "up") == m.higher_is_better
        verb = "improved" if better else "got worse"
        bullets.append(f"{_label(m)} {verb} significantly: {format_metric(m)} ({format_change(m)}).")

    critical = [m for m in snapshot.metrics.values() if m.status == "critical"]
    crit_alerts = [a for a in snapshot.alerts if str(a.get("severity", "")).upper() in {"CRITICAL", "ERROR"}]
    if critical or crit_alerts:
        names = [_label(m) for m in critical] + [str(a.get("name", "alert")) for a in crit_alerts]
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        bullets.append(f"Critical: {shown}.")
    if not snapshot.self_check.passed:
        bullets.append("The metrics self-check failed; see Pipeline health.")

    if critical or crit_alerts or not snapshot.self_check.passed:
        n = len(critical) + len(crit_alerts) + (0 if snapshot.self_check.passed else 1)
        return Verdict(f"Needs attention: {n} critical issue{'s' if n != 1 else ''}", "critical", tuple(bullets))
    if r is not None and r.ready:
        return Verdict("A model is ready for Hamilton", "ok", tuple(bullets))
    warn = any(s.status == "warning" for s in sections)
    return Verdict(
        "No model ready for Hamilton yet" if r is not None else "Daily learning report",
        "warning" if warn else "ok",
        tuple(bullets),
    )


def build_sections(snapshot: MetricsSnapshot, plugin_sections: Sequence[DigestSection] = ()) -> tuple[Section, ...]:
    """The digest's sections (without the verdict and council), in reading order."""
    modes = known_modes()
    by_key: dict[str, list[MetricValue]] = {}
    for m in sorted(snapshot.metrics.values(), key=lambda m: m.id):
        by_key.setdefault(section_for_category(m.category), []).append(m)
    titles = dict(SECTIONS)
    extra = sorted(k for k in by_key if k not in titles)
    sections: list[Section] = []
    for key in [k for k, _ in SECTIONS] + extra:
        rows = _mode_rows(by_key.get(key, []), modes)
        notes: list[str] = []
        if key == "models":
            ready_rows, reasons = _readiness_rows(snapshot)
            rows = ready_rows + rows
            notes += reasons
        if key == "pipeline" and not snapshot.self_check.passed:
            notes += [f"self-check: {p}" for p in snapshot.self_check.problems]
        if key == "pipeline" and snapshot.disabled_plugins:
            notes += [f"plugin {n} disabled: {e}" for n, e in sorted(snapshot.disabled_plugins.items())]
        if not rows and not notes:
            continue
        title = titles.get(key, key.replace("_", " ").capitalize())
        status = worst(
            [r.status for r in rows] + (["critical"] if key == "pipeline" and not snapshot.self_check.passed else [])
        )
        sections.append(Section(key, title, tuple(rows), tuple(notes), status))
    alerts = _alert_section(snapshot)
    if alerts is not None:
        sections.append(alerts)
    for ps in sorted(plugin_sections, key=lambda s: (s.order, s.key)):
        sections.append(
            Section(
                f"plugin-{ps.key}",
                ps.title,
                notes=(_fill_placeholders(ps.text, snapshot),),
                status="info",
                source="plugin",
            )
        )
    return tuple(sections)


def build_digest(
    snapshot: MetricsSnapshot,
    council_result: CouncilResult | None,
    history: History | None,
    settings: Settings,
    *,
    plugin_sections: Sequence[DigestSection] = (),
    charts: bool = True,
    now: datetime | None = None,
) -> Digest:
    """Build the digest of ``snapshot.date``.

    Args:
        snapshot: the day's metrics (the only source of numbers).
        council_result: the council's ``CouncilResult``, or ``None`` if it did not run.
        history: chart history from :func:`huracan.digest.history.load_history`
            (``None``: no charts).
        settings: for readiness thresholds drawn on the charts.
        plugin_sections: from the ``huracan_digest_sections`` hook, appended.
        charts: draw the PNG charts (off for text-only previews).

    Example::

        digest = build_digest(snapshot, run_council(snapshot, settings), load_history(conn, day), settings)
    """
    sections = build_sections(snapshot, plugin_sections)
    drawn = (
        draw_charts(history, snapshot, min_auc=settings.readiness.min_auc, max_ece=settings.readiness.max_ece)
        if charts and history is not None
        else ()
    )
    return Digest(
        day=snapshot.date,
        generated_at=now or datetime.now(UTC),
        title=f"Huracan digest — {snapshot.date:%a %d %b %Y}",
        verdict=_verdict(snapshot, sections),
        sections=sections,
        council=council_summary(council_result),
        charts=drawn,
        self_check_problems=tuple(snapshot.self_check.problems),
        disabled_plugins=dict(snapshot.disabled_plugins),
    )
