"""The simulator: determinism, realism, leakage, and the shape of what it emits."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from huracan.config import load_config
from huracan.events import (
    EVENT_TYPES,
    EventBase,
    LeakageError,
    TrainingSample,
    parse_event,
)
from huracan.simulate import SimSummary, sim_window, simulate
from huracan.simulate.learner import select_training_samples, train_meta_label
from huracan.simulate.signals import MODEL_INPUTS
from huracan.store.registry import ModelRegistry

END = date(2025, 11, 5)


def run(tmp: Path, *, days: int, per_day: int, seed: int = 7, **kw: Any) -> tuple[list[EventBase], SimSummary]:
    settings = load_config(data_dir=tmp)
    events: list[EventBase] = []
    summary = simulate(
        settings,
        emit=events.append,
        registry=lambda emit: ModelRegistry(settings, emit),
        days=days,
        seed=seed,
        signals_per_day=per_day,
        end=END,
        **kw,
    )
    return events, summary


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[EventBase], SimSummary]:
    # 12 days: long enough for the desk's strict-threshold episode and its auto-tune fix.
    return run(tmp_path_factory.mktemp("sim"), days=12, per_day=150)


def by_type(events: list[EventBase], etype: str) -> list[Any]:
    return [e for e in events if e.type == etype]


def test_same_seed_same_events_ids_included(tmp_path: Path) -> None:
    a, _ = run(tmp_path / "a", days=2, per_day=40)
    b, _ = run(tmp_path / "b", days=2, per_day=40)
    c, _ = run(tmp_path / "c", days=2, per_day=40, seed=8)

    def dump(evs: list[EventBase]) -> list[dict[str, Any]]:
        out = []
        for e in evs:
            d = e.model_dump(mode="json")
            # The registry stores artifacts under each run's own directory.
            d.pop("export_path", None)
            d.pop("artifact_path", None)
            out.append(d)
        return out

    assert dump(a) == dump(b)
    assert len({e.event_id for e in a}) == len(a)
    assert dump(a) != dump(c)


def test_every_event_type_is_produced(sim: tuple[list[EventBase], SimSummary]) -> None:
    events, summary = sim
    produced = {e.type for e in events}
    # Alerts are raised only when Hamilton refuses a tampered model (tested below).
    assert produced == set(EVENT_TYPES) - {"alert"}
    assert summary.events_by_type == dict(sorted(Counter(e.type for e in events).items()))


def test_events_valid_and_in_simulated_time(sim: tuple[list[EventBase], SimSummary]) -> None:
    events, summary = sim
    assert summary.start, summary.end == sim_window(12, END)
    for e in events:
        assert summary.start <= e.ts < summary.end, e
        assert parse_event(e.model_dump(mode="json")) == e
    assert [e.ts for e in events] == sorted(e.ts for e in events)


def test_outcomes_respect_decision_cutoff_ts_order(sim: tuple[list[EventBase], SimSummary]) -> None:
    events, _ = sim
    outcomes = by_type(events, "shadow_outcome") + by_type(events, "live_outcome")
    assert outcomes
    for o in outcomes:
        assert o.decision_timestamp <= o.label_cutoff_timestamp <= o.ts
    signals = {s.signal_id: s for s in by_type(events, "signal")}
    for o in by_type(events, "shadow_outcome"):
        assert signals[o.signal_id].ts <= o.decision_timestamp


def test_every_blocked_signal_gets_a_counterfactual_naming_failed_gates(
    sim: tuple[list[EventBase], SimSummary],
) -> None:
    events, summary = sim
    failed: dict[str, set[str]] = defaultdict(set)
    for g in by_type(events, "gate_decision"):
        if not g.passed:
            failed[g.signal_id].add(g.gate)
    outcomes = {o.signal_id: o for o in by_type(events, "shadow_outcome")}
    trades = {t.signal_id for t in by_type(events, "shadow_trade")}
    # Runners hold up to a day: only signals older than that must have closed.
    horizon = summary.end - timedelta(days=1, minutes=1)
    checked = 0
    for s in by_type(events, "signal"):
        if s.signal_id in failed:
            assert s.signal_id not in trades
            if s.ts < horizon:
                o = outcomes[s.signal_id]
                assert o.counterfactual and set(o.blocked_by) == failed[s.signal_id]
                checked += 1
        elif s.ts < horizon:
            assert s.signal_id in trades and not outcomes[s.signal_id].counterfactual
    assert checked > 500


def test_one_gate_decision_and_one_span_per_gate(sim: tuple[list[EventBase], SimSummary]) -> None:
    events, _ = sim
    gates = {"meta_label", "cost_gate", "confidence_gate", "regime_gate", "spread_gate", "volume_gate"}
    per_signal: dict[str, list[str]] = defaultdict(list)
    for g in by_type(events, "gate_decision"):
        per_signal[g.signal_id].append(g.gate)
    traces = {t.signal_id: t for t in by_type(events, "decision_trace")}
    slow = 0
    for s in by_type(events, "signal"):
        assert sorted(per_signal[s.signal_id]) == sorted(gates)
        t = traces[s.signal_id]
        names = [sp.name for sp in t.spans]
        assert names[:2] == ["signal", "features"] and set(names[2:8]) == gates
        assert (names[-1] == "shadow_trade") == (t.outcome == "shadow_trade")
        for a, b in zip(t.spans, t.spans[1:], strict=False):
            assert b.start_offset_ms == pytest.approx(a.start_offset_ms + a.duration_ms, abs=2e-3)
        slow += any(sp.duration_ms > 10 for sp in t.spans)
    assert 0 < slow < len(traces) * 0.1  # occasional slow steps, not a slow system


def test_realistic_win_rates_returns_and_model_quality(sim: tuple[list[EventBase], SimSummary]) -> None:
    events, summary = sim
    closed = [o for o in by_type(events, "shadow_outcome") if not o.counterfactual]
    scalp = [o for o in closed if o.mode == "scalp"]
    runner = [o for o in closed if o.mode == "runner"]
    assert 0.5 <= np.mean([o.win for o in scalp]) <= 0.8
    assert 0.25 <= np.mean([o.win for o in runner]) <= 0.6
    assert 3 <= np.mean([abs(o.return_bps) for o in scalp]) <= 60
    assert np.median([o.holding_seconds for o in scalp]) < np.median([o.holding_seconds for o in runner])
    # Runners: a fat right tail — the best win is several times the typical loss.
    assert max(o.return_bps for o in runner) > 3 * np.median([-o.return_bps for o in runner if not o.win])
    # Shadow trades beat the blocked signals: the gates select.
    blocked = [o.return_bps for o in by_type(events, "shadow_outcome") if o.counterfactual]
    assert np.mean([o.return_bps for o in closed]) > np.mean(blocked)
    sessions = by_type(events, "training_session")
    assert len(sessions) == 12
    assert all(0.55 <= s.auc <= 0.8 and s.ece <= 0.15 for s in sessions)
    assert summary.daily_auc == [s.auc for s in sessions]
    live = by_type(events, "live_outcome")
    shadow_by_signal = {o.signal_id: o for o in closed}
    gaps = [shadow_by_signal[lo.signal_id].return_bps - lo.return_bps for lo in live]
    assert 1 < np.mean(gaps) < 8  # live = shadow - slippage - fees, with noise


def test_calibration_and_importances_match_the_session(sim: tuple[list[EventBase], SimSummary]) -> None:
    events, _ = sim
    for s, c, f in zip(
        by_type(events, "training_session"),
        by_type(events, "calibration"),
        by_type(events, "feature_importance"),
        strict=True,
    ):
        assert c.model_id == f.model_id == s.model_id
        assert len(c.predictions) == s.eval_samples
        gaps = sum(b.count * abs(b.mean_predicted - b.observed_rate) for b in c.bins) / len(c.predictions)
        assert gaps == pytest.approx(s.ece, abs=1e-4)
        assert set(f.importances) == set(MODEL_INPUTS)
        assert s.data_cutoff_timestamp <= s.trained_at
        assert s.trained_at.hour == 0 and s.trained_at.minute == 0


def test_strict_gate_period_then_autotuned(sim: tuple[list[EventBase], SimSummary]) -> None:
    events, _ = sim
    changes = by_type(events, "config_change")
    desk = [c for c in changes if c.author.startswith("desk:")]
    assert len(desk) == 1 and desk[0].gate == "meta_label" and desk[0].new_value == 0.8
    fix = [c for c in changes if c.author == "engine-autotune" and c.gate == "meta_label" and c.mode == "scalp"]
    assert fix and fix[0].ts > desk[0].ts and fix[0].new_value < 0.8 and fix[0].reason
    between = [
        g.passed
        for g in by_type(events, "gate_decision")
        if g.gate == "meta_label" and g.mode == "scalp" and desk[0].ts < g.ts < fix[0].ts
    ]
    assert len(between) > 100 and np.mean(between) < 0.05  # ~0 %: the gate is too strict


def test_models_registered_exported_loaded_by_sha(sim: tuple[list[EventBase], SimSummary]) -> None:
    events, summary = sim
    registered = [e.model_id for e in by_type(events, "model_registered")]
    assert registered == summary.models_registered
    exports = by_type(events, "model_export")
    assert exports and all(e.ready for e in exports)
    assert [e.model_id for e in exports] == summary.models_exported
    loaded = by_type(events, "model_loaded")
    assert {e.model_id for e in loaded} <= {e.model_id for e in exports}
    for e in loaded:
        assert e.source == "hamilton"
        path = Path(next(x.export_path for x in exports if x.model_id == e.model_id))
        assert hashlib.sha256(path.read_bytes()).hexdigest() == e.verified_sha256
    for lo in by_type(events, "live_outcome"):
        assert lo.model_id in {e.model_id for e in loaded}


def _sample(i: int, decided: datetime, cutoff: datetime, label: int) -> TrainingSample:
    rng = np.random.default_rng(i)
    feats = {f: float(rng.normal()) for f in MODEL_INPUTS}
    feats["confidence"] = float(rng.uniform(0.3, 0.8))
    return TrainingSample(
        sample_id=f"s{i}",
        decision_timestamp=decided,
        label_cutoff_timestamp=cutoff,
        features=feats,
        label=label,
        origin="shadow",
    )


def test_leaking_sample_is_rejected_and_not_selected() -> None:
    at = datetime(2025, 11, 6, tzinfo=UTC)
    ok = [_sample(i, at - timedelta(hours=60 - i * 0.2), at - timedelta(hours=59 - i * 0.2), i % 2) for i in range(290)]
    leak = _sample(999, at - timedelta(minutes=30), at + timedelta(minutes=5), 1)
    with pytest.raises(LeakageError, match="s999"):
        train_meta_label([*ok, leak], at)
    chosen = select_training_samples([*ok, leak], at, timedelta(days=7))
    assert leak not in chosen and len(chosen) == len(ok)
    train_meta_label(chosen, at, learner="logistic")  # the clean set trains


def test_hamilton_refuses_a_tampered_export(tmp_path: Path) -> None:
    from huracan.simulate.hamilton import Hamilton
    from huracan.simulate.learner import dumps_model
    from huracan.simulate.ports import IdSource

    settings = load_config(data_dir=tmp_path)
    got: list[EventBase] = []
    reg = ModelRegistry(settings, got.append)
    at = datetime(2025, 11, 6, tzinfo=UTC)
    mid = reg.register(
        dumps_model({"not": "a model"}),
        learner="meta_label",
        git_sha="abc1234",
        data_snapshot_id="s",
        metrics={"auc": 0.7, "ece": 0.05, "training_samples": 5000},
        parent_model_id=None,
        notes="",
        ts=at,
    )
    manifest = reg.export(mid, ts=at)
    Path(manifest.artifact_path).write_bytes(b"tampered")
    ham = Hamilton(reg, got.append, IdSource(1), np.random.default_rng(1))
    ham.on_export(manifest, mid, at)
    alerts = [e for e in got if e.type == "alert"]
    assert len(alerts) == 1 and alerts[0].severity == "ERROR" and mid[:12] in alerts[0].message
    assert not ham.loaded and not any(e.type == "model_loaded" for e in got)
