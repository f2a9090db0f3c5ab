"""Assemble the day's :class:`Digest` from the snapshot, the council and the history.

The order is the reader's: the verdict first (:mod:`huracan.digest.verdict`), then what
the Engine learned (:mod:`huracan.digest.learned_view`), learning, shadow trading, gates, models, Hamilton, pipeline health, alerts, plugin
sections, and the council. Sections show the *key* metrics (``key: true`` in
metrics.yaml) and any metric that is warning or critical; every other metric goes to
the "All other metrics" appendix, one line each, which the email and the Markdown
archive carry and the chat channels point to. Every number comes from the snapshot
through :mod:`huracan.digest.numbers`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from huracan.analytics.snapshot import MetricsSnapshot, MetricValue
from huracan.config import Settings
from huracan.council.publish import publish
from huracan.council.schema import CouncilResult
from huracan.digest.charts import draw_charts
from huracan.digest.council_view import council_summary
from huracan.digest.history import History
from huracan.digest.learned_view import learned_section
from huracan.digest.model import STATUS_RANK, Digest, Row, Section, worst
from huracan.digest.rows import Family, families, readiness_row, section_for_category, shown_in_sections
from huracan.digest.verdict import build_verdict, humanize, metric_alert
from huracan.events import known_gates
from huracan.plugins.types import DigestSection

__all__ = ["SECTIONS", "build_digest", "build_sections", "section_for_category", "split_sections"]

#: Built-in sections in reading order: (key, title).
SECTIONS: tuple[tuple[str, str], ...] = (
    ("learning", "Learning progress"),
    ("shadow", "Shadow trading by mode"),
    ("gates", "Gates"),
    ("models", "Model readiness and exports"),
    ("hamilton", "Hamilton: live vs shadow"),
    ("pipeline", "Pipeline health"),
)


def _alert_section(snapshot: MetricsSnapshot) -> Section | None:
    # A metric's rule firing is already its row's status; this lists the other alerts.
    others = [a for a in snapshot.alerts if not metric_alert(snapshot, a)]
    if not others:
        return None
    sev_status = {"CRITICAL": "critical", "ERROR": "critical", "WARNING": "warning"}
    rows = []
    for a in others:
        sev = str(a.get("severity", "WARNING")).upper()
        rows.append(
            Row(
                label=humanize(str(a.get("name", "alert"))),
                value=sev.lower(),
                status=sev_status.get(sev, "info"),
                note=str(a.get("message", "")),
            )
        )
    return Section("alerts", "Alerts", tuple(rows), status=worst([r.status for r in rows]))


def _fill_placeholders(text: str, snapshot: MetricsSnapshot) -> str:
    # Plugin text goes through the council's verifier like a model's (issue 11): its
    # placeholders are filled, and a sentence whose number or direction word is not
    # true of the metric it names is removed whole.
    out = publish(text, snapshot).text
    return out or "This section's text could not be verified against the day's metrics and was withheld."


def _notes(key: str, snapshot: MetricsSnapshot, fams: list[Family]) -> list[str]:
    notes: list[str] = []
    if key == "pipeline":
        dq = [f for f in fams if f.category == "data_quality"]
        if dq and all(STATUS_RANK.get(f.status, 0) < STATUS_RANK["warning"] for f in dq):
            notes.append("Data-quality checks: no problems found.")
        if not snapshot.self_check.passed:
            notes += [f"self-check: {p}" for p in snapshot.self_check.problems]
        notes += [f"implausible: {w}" for w in snapshot.self_check.warnings]
        if snapshot.disabled_plugins:
            notes += [f"plugin {n} disabled: {e}" for n, e in sorted(snapshot.disabled_plugins.items())]
    return notes


def split_sections(
    snapshot: MetricsSnapshot, plugin_sections: Sequence[DigestSection] = ()
) -> tuple[tuple[Section, ...], tuple[Section, ...]]:
    """(sections, appendix): key and warning/critical rows by section, then the rest.

    The appendix holds every other metric, one row each (mode families joined), under
    the title of the section it would belong to.
    """
    by_key: dict[str, list[MetricValue]] = {}
    # Registration order: metrics.yaml's reading order (AUC, its change, ECE, samples).
    for m in snapshot.metrics.values():
        by_key.setdefault(section_for_category(m.category), []).append(m)
    titles = dict(SECTIONS)
    extra = sorted(k for k in by_key if k not in titles)
    ready = readiness_row(snapshot.readiness)
    sections: list[Section] = []
    appendix: list[Section] = []
    for key in [k for k, _ in SECTIONS] + extra:
        fams = families(by_key.get(key, []))
        title = titles.get(key, key.replace("_", " ").capitalize())
        # Key metrics first, then the warnings and criticals they draw in.
        main = [f for f in fams if f.is_key] + [f for f in fams if not f.is_key and shown_in_sections(f)]
        rest = [f for f in fams if not shown_in_sections(f)]
        if key == "models" and ready is not None:
            # The readiness row says what model_ready says, with the model and its chain.
            main = [f for f in main if f.key != "model_ready"]
            rest = [f for f in rest if f.key != "model_ready"]
        rows = [f.row() for f in main]
        if key == "models" and ready is not None:
            rows.insert(0, ready)
        notes = _notes(key, snapshot, fams)
        if rows or notes:
            status = worst(
                [r.status for r in rows]
                + (["critical"] if key == "pipeline" and not snapshot.self_check.passed else [])
            )
            sections.append(Section(key, title, tuple(rows), tuple(notes), status))
        if rest:
            compact = families([m for f in rest for m in f.members], also=known_gates())
            rows_rest = tuple(f.row() for f in compact)
            appendix.append(Section(key, title, rows_rest, status=worst([r.status for r in rows_rest])))
    # What the Engine learned opens the digest, right after the headline (#12).
    sections.insert(0, learned_section(snapshot))
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
    return tuple(sections), tuple(appendix)


def build_sections(snapshot: MetricsSnapshot, plugin_sections: Sequence[DigestSection] = ()) -> tuple[Section, ...]:
    """The digest's sections (without the verdict, appendix and council), in reading order."""
    return split_sections(snapshot, plugin_sections)[0]


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
    sections, appendix = split_sections(snapshot, plugin_sections)
    drawn = (
        draw_charts(history, snapshot, min_auc=settings.readiness.min_auc, max_ece=settings.readiness.max_ece)
        if charts and history is not None
        else ()
    )
    return Digest(
        day=snapshot.date,
        generated_at=now or datetime.now(UTC),
        title=f"Huracan digest — {snapshot.date:%a %d %b %Y}",
        verdict=build_verdict(snapshot, sections),
        sections=sections,
        appendix=appendix,
        metric_count=len(snapshot.metrics),
        archive_path=str(Path(settings.archive_dir) / snapshot.date.isoformat() / "digest.md"),
        council=council_summary(council_result),
        charts=drawn,
        self_check_problems=tuple(snapshot.self_check.problems),
        disabled_plugins=dict(snapshot.disabled_plugins),
    )
