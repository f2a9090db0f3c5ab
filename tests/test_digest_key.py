"""The digest a desk reads on a phone: key metrics, an appendix, a verdict in plain words."""

from __future__ import annotations

from functools import cache
from typing import Any

import digest_data as dd
import pytest

from huracan.analytics.metrics import compute_snapshot
from huracan.analytics.snapshot import Comparison, MetricsSnapshot
from huracan.config import load_config
from huracan.digest import build_digest, render
from huracan.digest.model import Digest, Row
from huracan.digest.verdict import MAX_CRITICAL
from huracan.plugins.manager import get_plugins

INTERNAL = ("metric_critical", "metric_warning", "metric.", "alert rule", "`value")


def _with(snap: MetricsSnapshot, *metrics: Any) -> MetricsSnapshot:
    snap.metrics.update({m.id: m for m in metrics})
    return snap


def _rows(sections: Any) -> list[Row]:
    return [r for s in sections for r in s.rows]


def test_sections_show_key_metrics_and_problems_the_rest_goes_to_the_appendix() -> None:
    snap = dd.snapshot(hostile=False)
    d = build_digest(snap, None, None, load_config())
    shown = {r.metric_id for r in _rows(d.sections)}
    appendix = {r.metric_id for r in _rows(d.appendix)}
    assert {"model_auc", "model_ece", "training_samples", "shadow_win_rate", "queue_drops"} <= shown
    # an ok, non-key metric is only in the appendix; a warning one is in its section
    assert "ingest_rate" in appendix and "ingest_rate" not in shown
    assert "gate_pass_rate.meta_label" in shown  # runner 2.0 % is below its target
    assert "gate_pass_rate.cost_gate" in appendix
    assert not shown & appendix
    r = render(d)
    for fmt in (r.html, r.markdown, r.text):
        assert "All other metrics" in fmt and "1,234 events/s" in fmt  # ingest_rate, one line
    chat = "\n".join(r.telegram) + str([m.payload for m in r.discord])
    assert "1,234 events/s" not in chat and "All other metrics" not in chat
    assert d.metric_count == len(snap.metrics)
    assert f"All {d.metric_count:,} metrics of the day" in "\n".join(r.telegram)
    # Chat readers are pointed at the daemon's web page, never at a path on the server (issue 16).
    assert "/digests/2025-11-06/" in "\n".join(r.telegram) and d.archive_path not in "\n".join(r.telegram)


def test_the_verdict_names_criticals_by_name_and_value_deduplicated_and_bounded() -> None:
    base = dd.snapshot(hostile=False)
    crit = {"status": "critical", "status_reason": "is 0"}
    snap = _with(
        base,
        dd.metric("events_total", "Events stored", "pipeline", "count", 0, precision=0, key=True, **crit),
        dd.metric("events_total.engine", "Events stored (engine)", "pipeline", "count", 0, precision=0, **crit),
        *[
            dd.metric(f"broken_{i}", f"Broken thing {i}", "pipeline", "count", i, precision=0, **crit)
            for i in range(1, 4)
        ],
    )
    snap.alerts = [
        {"name": "metric.events_total.critical", "severity": "CRITICAL", "metric_id": "events_total", "message": "x"},
        {"name": "digest_not_delivered", "severity": "CRITICAL", "message": "the digest was late"},
    ]
    d = build_digest(snap, None, None, load_config())
    v = d.verdict
    # events_total + its part are one issue; the metric's alert is that same issue.
    assert v.headline == "Needs attention: 5 critical issues" and v.status == "critical"
    crit_line = next(b for b in v.bullets if b.startswith("Critical:"))
    assert crit_line == "Critical: Broken thing 1 1; Broken thing 2 2; Broken thing 3 3; and 2 more."
    assert crit_line.count(";") == MAX_CRITICAL
    text = render(d).text
    assert not any(word in text for word in INTERNAL)
    alerts = next(s for s in d.sections if s.key == "alerts")
    assert [r.label for r in alerts.rows] == ["Digest not delivered"]  # the metric alert is its row


def test_learning_is_claimed_only_when_significant_else_it_held_steady() -> None:
    snap = dd.snapshot(hostile=False)
    auc = snap.metrics["model_auc"]
    snap.metrics["model_auc"] = auc.model_copy(
        update={"vs_prev_day": Comparison(baseline=0.6571, delta=0.0241, significant=False, direction="up")}
    )
    d = build_digest(snap, None, None, load_config())
    steady = [b for b in d.verdict.bullets if b.startswith("Learning")]
    assert steady == [
        "Learning held steady: Model AUC 0.681, Calibration error (ECE) 0.042, no significant change since yesterday."
    ]
    snap.metrics["model_ece"] = snap.metrics["model_ece"].model_copy(
        update={"vs_prev_day": Comparison(baseline=0.03, delta=0.0123, significant=True, direction="up")}
    )
    d = build_digest(snap, None, None, load_config())
    assert "Learning got worse: Calibration error (ECE) 0.042 (+0.012 vs yesterday, significant)." in d.verdict.bullets


def test_a_family_row_says_why_once() -> None:
    snap = dd.snapshot(hostile=False)
    for mid in ("shadow_pnl_bps.scalp", "shadow_pnl_bps.runner"):
        update = {"status": "warning", "status_reason": "below 0.0 bps on 58 samples"}
        snap.metrics[mid] = snap.metrics[mid].model_copy(update=update)
    row = next(r for r in _rows(build_digest(snap, None, None, load_config()).sections) if r.label == "Shadow P&L")
    assert row.note == "scalp: below 0.0 bps on 58 samples; runner: below 0.0 bps on 58 samples"
    # with a total, its reason stands for the parts: said once
    total = dd.metric("shadow_pnl_bps", "Shadow P&L", "shadow", "bps", -50.0, precision=1, key=True)
    snap = _with(snap, total.model_copy(update={"status": "warning", "status_reason": "below the 50.0 bps target"}))
    row = next(r for r in _rows(build_digest(snap, None, None, load_config()).sections) if r.label == "Shadow P&L")
    assert row.note == "below the 50.0 bps target"
    assert row.value == "all -50.0 bps · scalp 184.5 bps · runner -23.8 bps"


@cache
def _simulated(tmp: str) -> tuple[MetricsSnapshot, Digest]:
    from pathlib import Path

    from huracan.store import Store
    from huracan.testing import simulated_data_dir

    settings = load_config(data_dir=simulated_data_dir(Path(tmp) / "data", days=3, signals_per_day=200))
    plugins = get_plugins(settings, entry_points=False, default_plugins=("huracan.plugins.builtin.metrics",))
    with Store.open(settings, read_only=True) as store:
        conn = store.cursor()
        day = conn.execute("SELECT max(day) FROM v_signal").fetchone()[0]
        snap = compute_snapshot(conn, day, plugins, settings)
    return snap, build_digest(snap, None, None, settings, charts=False)


@pytest.mark.slow
def test_a_simulated_day_reads_short_and_every_metric_is_somewhere(tmp_path_factory: pytest.TempPathFactory) -> None:
    snap, d = _simulated(str(tmp_path_factory.mktemp("sim")))
    main, appendix = _rows(d.sections), _rows(d.appendix)
    assert len(main) <= 30, [r.label for r in main]
    assert len(appendix) >= 30
    covered: set[str] = {"model_ready"}  # said by the "Ready for Hamilton" row
    for r in main + appendix:
        covered |= {mid for mid in snap.metrics if r.metric_id in (mid, mid.rpartition(".")[0])}
    assert covered >= set(snap.metrics)
    rendered = render(d)
    assert len(rendered.telegram) <= 2
    for fmt in (rendered.html, rendered.text, rendered.markdown, *rendered.telegram):
        assert not any(word in fmt for word in INTERNAL)
    # the verdict comes first, and names the model by its short id
    assert snap.readiness is not None and (snap.readiness.model_id or "")[:12] in rendered.text[:400]
