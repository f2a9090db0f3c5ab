"""Insights: ranked, tied to metric ids, every number taken from the snapshot."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from huracan.analytics.format import format_number, format_value
from huracan.analytics.insights import build_insights
from huracan.analytics.metrics import compute_snapshot
from huracan.analytics.snapshot import Comparison, MetricsSnapshot, MetricValue, Provenance, Readiness, Targets
from huracan.config import load_config
from huracan.council.verifier import verify
from huracan.plugins.manager import get_plugins
from huracan.store import Store
from tests.metrics_data import DAY, build_days

NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?(?![\w])")
WHICH = ("value", "low", "high", "n", "baseline_1d", "baseline_7d", "delta_1d", "delta_7d", "pct_1d", "pct_7d")


def _mv(mid: str, value: float | None, unit: str = "fraction", precision: int = 1, **kw: Any) -> MetricValue:
    return MetricValue(
        id=mid,
        name=kw.pop("name", mid.replace("_", " ").capitalize()),
        category=kw.pop("category", "gates"),
        unit=unit,  # type: ignore[arg-type]
        precision=precision,
        value=value,
        formula="f",
        provenance=Provenance(query="SELECT 1", row_count=1),
        status=kw.pop("status", "ok"),
        **kw,
    )


def _snapshot(metrics: list[MetricValue], readiness: Readiness | None = None) -> MetricsSnapshot:
    return MetricsSnapshot(
        date=date(2025, 11, 6),
        generated_at=datetime(2025, 11, 7, tzinfo=UTC),
        metrics={m.id: m for m in metrics},
        readiness=readiness,
    )


def _numbers(text: str) -> set[str]:
    return {n.lstrip("+-").replace(",", "") for n in NUMBER.findall(text)}


def _allowed(snapshot: MetricsSnapshot, ids: list[str]) -> set[str]:
    out: set[str] = set()
    for mid in ids:
        m = snapshot.metrics[mid]
        for w in WHICH:
            out |= _numbers(format_value(m, w))  # type: ignore[arg-type]
        if m.targets:
            for t in (m.targets.min, m.targets.ideal, m.targets.max):
                out |= _numbers(format_number(t, m.unit, m.precision))
    return out


def assert_numbers_verified(snapshot: MetricsSnapshot) -> None:
    for ins in snapshot.insights:
        assert ins["metric_ids"], ins
        assert all(mid in snapshot.metrics for mid in ins["metric_ids"]), ins
        missing = _numbers(ins["text"]) - _allowed(snapshot, ins["metric_ids"])
        assert not missing, f"{ins['text']!r}: {missing} not from the cited metrics"


def test_learning_insight_reads_like_the_brief() -> None:
    snap = _snapshot(
        [
            _mv("model_auc_change", 0.012, "score", 3, category="learning"),
            _mv("model_auc_reported", 0.7134, "score", 3, category="learning"),
            _mv("samples_total", 5412, "count", 0, category="learning"),
            _mv("model_ready", 1, "bool", 0, category="models"),
        ],
        Readiness(model_id="3f2a1b9c" + "0" * 56, ready=True),
    )
    snap.insights = build_insights(snap)
    top = snap.insights[0]
    assert top["text"] == (
        "AUC change vs the previous training +0.012 (not judged); reported AUC 0.713; 5,412 training samples; "
        "model 3f2a1b9c ready for Hamilton"
    )
    assert top["kind"] == "learning"
    assert top["metric_ids"] == ["model_auc_change", "model_auc_reported", "samples_total", "model_ready"]
    assert_numbers_verified(snap)


def test_gate_insights_and_ranking() -> None:
    snap = _snapshot(
        [
            _mv("gate_blocked_winners_share.cost_gate", 0.6123, n=412),
            _mv("gate_blocked_winners_share.spread_gate", 0.05, n=412),
            _mv(
                "gate_pass_rate.meta_label.scalp",
                0.031,
                status="warning",
                targets=Targets(min=0.15, ideal=0.25, max=0.6),
                n=900,
            ),
            _mv("signals", 0, "count", 0, status="critical"),
        ]
    )
    snap.insights = build_insights(snap)
    texts = [i["text"] for i in snap.insights]
    assert texts[0] == "critical: signals is 0"
    assert "cost_gate blocked 61.2 % of the day's 412 winning trades" in texts
    assert "meta_label passes 3.1 % of scalp signals, below its minimum of 15.0 %" in texts
    assert not any("spread_gate blocked" in t for t in texts)  # 5 %: not worth a sentence
    imps = [i["importance"] for i in snap.insights]
    assert imps == sorted(imps, reverse=True)
    assert_numbers_verified(snap)


def test_changes_separate_signal_from_noise() -> None:
    snap = _snapshot(
        [
            _mv(
                "shadow_win_rate.scalp",
                0.64,
                category="shadow",
                n=2100,
                vs_prev_day=Comparison(baseline=0.58, delta=0.06, pct_change=0.103, significant=True, direction="up"),
            ),
            _mv(
                "shadow_win_rate.runner",
                0.8,
                category="shadow",
                n=5,
                vs_prev_day=Comparison(baseline=0.4, delta=0.4, pct_change=1.0, significant=False, direction="up"),
            ),
        ]
    )
    snap.insights = build_insights(snap)
    by_id = {i["metric_ids"][0]: i["text"] for i in snap.insights}
    assert "up 6.0 pp to 64.0 % vs yesterday (n = 2,100, significant)" in by_id["shadow_win_rate.scalp"]
    assert by_id["shadow_win_rate.runner"].endswith("up 40.0 pp on only 5 samples: not significant")
    assert_numbers_verified(snap)


def test_snapshot_insights_from_a_real_store_use_snapshot_numbers(tmp_path: Path) -> None:
    days = build_days(days=3, signals_per_day=60, ungated_on_end=2)
    settings = load_config(data_dir=tmp_path)
    with Store.open(settings) as store:
        store.write_events(days.events)
        plugins = get_plugins(settings, entry_points=False, default_plugins=("huracan.plugins.builtin.metrics",))
        snap = compute_snapshot(store, DAY, plugins, settings)
    assert len(snap.insights) >= 3
    kinds = {i["kind"] for i in snap.insights}
    # Ungated signals are a data-quality finding, not a failed self-check (#12).
    assert {"learning", "data_quality"} <= kinds and "self_check" not in kinds
    for ins in snap.insights:
        assert set(ins) == {"text", "metric_ids", "importance", "kind"}
        assert 0 <= ins["importance"] <= 1
        # The council's own number verifier accepts every sentence as is.
        assert verify(ins["text"], snap).ok, ins["text"]
        m = snap.metrics[ins["metric_ids"][0]]
        if "above its maximum" in ins["text"]:  # a standing is stated only when it holds
            assert m.targets and m.targets.max is not None and (m.value or 0) > m.targets.max, ins["text"]
        if "below its minimum" in ins["text"]:
            assert m.targets and m.targets.min is not None and (m.value or 0) < m.targets.min, ins["text"]
    assert_numbers_verified(snap)
