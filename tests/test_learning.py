"""The learning tracker: sessions, feature drift, recomputed calibration, the daily summary."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import brier_score_loss, roc_auc_score
from test_journal_fixtures import closed_trade, records_db

from huracan.analytics.calibration import check_calibration
from huracan.analytics.learning import (
    calibration_history,
    daily_summary,
    feature_drift,
    importance_history,
    training_sessions,
)
from huracan.config import load_config
from huracan.events import Calibration, EventBase, FeatureImportance, TrainingSession

DAYS = [date(2025, 11, 4), date(2025, 11, 5), date(2025, 11, 6)]
MODELS = ["1" * 64, "2" * 64, "3" * 64]
IMPS = [
    {"volatility_1h": 0.40, "momentum_15m": 0.30, "spread_bps": 0.20, "volume_ratio": 0.10},
    {"volatility_1h": 0.35, "momentum_15m": 0.25, "spread_bps": 0.25, "volume_ratio": 0.15},
    {"volatility_1h": 0.25, "momentum_15m": 0.30, "spread_bps": 0.05, "volume_ratio": 0.30, "funding_rate": 0.10},
]


def _session(i: int, auc: float, ece: float) -> TrainingSession:
    at = datetime(DAYS[i].year, DAYS[i].month, DAYS[i].day, 0, 0, 5, tzinfo=UTC)
    return TrainingSession(
        ts=at + timedelta(minutes=4),
        session_id=f"train-{i}",
        model_id=MODELS[i],
        trained_at=at,
        data_cutoff_timestamp=at - timedelta(seconds=5),
        duration_s=120.0 + i,
        samples_historical=4000,
        samples_shadow=500 * (i + 1),
        auc=auc,
        ece=ece,
        mce=0.2,
        brier=0.22 - 0.01 * i,
        log_loss=0.66 - 0.01 * i,
        eval_samples=800,
    )


def _calibration(i: int, reported_ece: float | None, seed: int) -> tuple[Calibration, list[float], list[int]]:
    r = random.Random(seed)
    preds = [round(r.uniform(0.05, 0.95), 4) for _ in range(400)]
    outs = [int(r.random() < p) for p in preds]
    at = datetime(DAYS[i].year, DAYS[i].month, DAYS[i].day, 0, 5, tzinfo=UTC)
    ev = Calibration(
        ts=at, session_id=f"train-{i}", model_id=MODELS[i], predictions=preds, outcomes=outs, reported_ece=reported_ece
    )
    return ev, preds, outs


def _events() -> tuple[list[EventBase], dict[int, tuple[list[float], list[int]]]]:
    ev: list[EventBase] = [_session(0, 0.64, 0.09), _session(1, 0.68, 0.06), _session(2, 0.71, 0.05)]
    for i, imp in enumerate(IMPS):
        at = datetime(DAYS[i].year, DAYS[i].month, DAYS[i].day, 0, 5, tzinfo=UTC)
        ev.append(FeatureImportance(ts=at, session_id=f"train-{i}", model_id=MODELS[i], importances=imp))
    calib = {}
    for i, reported in ((1, None), (2, 0.001)):
        c, p, o = _calibration(i, reported, seed=i)
        ev.append(c)
        calib[i] = (p, o)
    for k, (ret, regime) in enumerate([(10.0, "trend"), (-5.0, "range"), (7.0, "trend")]):
        ev += closed_trade(k, ret, day=DAYS[2], regime=regime, model_id=MODELS[1])
    return ev, calib


def test_feature_drift_matches_scipy() -> None:
    d = feature_drift(IMPS[1], IMPS[2])
    feats = sorted(IMPS[1].keys() | IMPS[2].keys())
    b = np.array([IMPS[1].get(f, 0.0) for f in feats]) / sum(IMPS[1].values())
    a = np.array([IMPS[2].get(f, 0.0) for f in feats]) / sum(IMPS[2].values())
    assert d.l1 == pytest.approx(np.abs(a - b).sum())
    assert d.spearman == pytest.approx(spearmanr(b, a).statistic)
    assert d.added == ["funding_rate"] and d.removed == []
    top = d.moves[0]
    assert top.feature == "spread_bps" and top.delta == pytest.approx(-0.20)
    assert (top.rank_before, top.rank_after, top.rank_change) == (3, 5, -2)
    assert next(m for m in d.moves if m.feature == "funding_rate").rank_change is None
    same = feature_drift(IMPS[0], {k: 2 * v for k, v in IMPS[0].items()})  # scale-free
    assert same.l1 == pytest.approx(0.0) and same.spearman == pytest.approx(1.0)
    assert feature_drift({"a": 1.0}, {"a": 1.0}).spearman is None


def test_sessions_and_importances(tmp_path: Path) -> None:
    ev, _ = _events()
    with records_db(tmp_path, ev) as conn:
        rows = training_sessions(conn)
        assert [r["session_id"] for r in rows] == ["train-0", "train-1", "train-2"]
        assert rows[2]["samples_total"] == 5500 and rows[2]["day"] == DAYS[2]
        assert [r["session_id"] for r in training_sessions(conn, since=DAYS[1], until=DAYS[1])] == ["train-1"]
        assert [r["session_id"] for r in training_sessions(conn, model_id="333")] == ["train-2"]
        hist = importance_history(conn, since=DAYS[1])
        assert [h["importances"] for h in hist] == IMPS[1:]


def test_calibration_is_recomputed_and_disagreement_flagged(tmp_path: Path) -> None:
    ev, calib = _events()
    with records_db(tmp_path, ev) as conn:
        hist = calibration_history(conn)
        assert [h["session_id"] for h in hist] == ["train-1", "train-2"]
        for h, i in zip(hist, (1, 2), strict=True):
            expected = check_calibration(*calib[i])
            assert h["report"].ece == pytest.approx(expected.ece) and h["report"].samples == 400
        assert hist[0]["report"].disagreements == []  # nothing reported, nothing to contradict
        (msg,) = hist[1]["report"].disagreements
        assert "session train-2" in msg and "reported ECE 0.0010" in msg


def test_daily_summary(tmp_path: Path) -> None:
    ev, calib = _events()
    settings = load_config(data_dir=tmp_path / "data")
    with records_db(tmp_path, ev) as conn:
        s = daily_summary(conn, DAYS[2], settings, top=2)
        assert (s.samples_historical, s.samples_shadow, s.samples_total) == (4000, 1500, 5500)
        assert s.latest is not None and s.previous is not None
        assert s.latest["session_id"] == "train-2" and s.previous["session_id"] == "train-1"
        # Both sessions have predictions: the recomputed metrics are compared, with evidence (#12).
        auc = s.metric_deltas["auc"]
        expected = roc_auc_score(calib[2][1], calib[2][0]) - roc_auc_score(calib[1][1], calib[1][0])
        assert auc["source"] == "recomputed" and auc["delta"] == pytest.approx(expected)
        assert auc["low"] < auc["delta"] < auc["high"]
        assert auc["word"] == ("better" if auc["low"] > 0 else "no significant change")
        assert auc["improved"] is (True if auc["word"] == "better" else None)
        brier = s.metric_deltas["brier"]
        assert brier["delta"] == pytest.approx(
            brier_score_loss(calib[2][1], calib[2][0]) - brier_score_loss(calib[1][1], calib[1][0])
        )
        assert [m.feature for m in s.top_moves] == ["spread_bps", "volume_ratio"]
        assert s.drift is not None and s.drift.added == ["funding_rate"]
        assert len(s.flags) == 1 and "train-2" in s.flags[0]
        assert s.performance_by_regime["trend"].total_bps == 17.0 and s.performance_by_regime["range"].count == 1
        # Readiness uses the recomputed ECE (the producer claimed 0.001).
        recomputed = s.calibration[0]["report"].ece
        assert s.ready == (recomputed <= 0.10) and s.ready is not None
        d = s.to_dict()
        assert d["calibration"][0]["report"]["samples"] == 400 and d["day"] == DAYS[2]
        first = daily_summary(conn, DAYS[0], settings)
        assert first.previous is None and first.metric_deltas == {} and first.drift is None
        assert first.ready is False and any("AUC 0.640" in r for r in first.readiness_reasons)
        empty = daily_summary(conn, date(2025, 12, 1), settings)
        assert empty.latest is None and empty.samples_total == 0 and empty.ready is None
