"""Realistic example events of every type, for docs, users learning the format, and tests.

>>> from huracan.samples import sample_events
>>> [e.type for e in sample_events("signal", n=2, seed=1)]
['signal', 'signal']
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from huracan.events import (
    EVENT_TYPES,
    Alert,
    Calibration,
    ConfigChange,
    DecisionTrace,
    EventBase,
    FeatureImportance,
    GateDecision,
    LiveOutcome,
    MarketSnapshot,
    ModelExport,
    ModelLoaded,
    ModelRegistered,
    Severity,
    ShadowOutcome,
    ShadowTrade,
    Signal,
    Span,
    TrainingSession,
)

__all__ = ["sample_events"]

SYMBOLS = ("BTC-USD", "ETH-USD", "SOL-USD")
REGIMES = ("trend", "range", "volatile")
FEATURES = ("volatility_1h", "momentum_15m", "spread_bps", "volume_ratio", "orderbook_imbalance", "funding_rate")
GATE_SPECS = {
    # gate: (direction, typical threshold)
    "meta_label": ("above", 0.45),
    "cost_gate": ("above", 8.0),
    "confidence_gate": ("above", 0.55),
    "regime_gate": ("above", 0.5),
    "spread_gate": ("below", 6.0),
    "volume_gate": ("above", 0.8),
}


def _sha(r: random.Random) -> str:
    return hashlib.sha256(r.randbytes(32)).hexdigest()


def _base_ts(r: random.Random) -> datetime:
    return datetime(2025, 11, 6, tzinfo=UTC) + timedelta(seconds=r.randint(0, 86_000))


def _signal(r: random.Random) -> Signal:
    return Signal(
        ts=_base_ts(r),
        signal_id=f"sig-{r.getrandbits(40):010x}",
        symbol=r.choice(SYMBOLS),
        mode=r.choice(("scalp", "runner")),
        regime=r.choice(REGIMES),
        side=r.choice(("long", "short")),
        price=round(r.uniform(90, 70_000), 2),
        confidence=round(r.betavariate(5, 4), 4),
        features={f: round(r.gauss(0, 1), 4) for f in FEATURES},
    )


def _gate(r: random.Random) -> GateDecision:
    gate = r.choice(sorted(GATE_SPECS))
    direction, thr = GATE_SPECS[gate]
    value = round(thr * r.uniform(0.6, 1.4), 4)
    passed = value >= thr if direction == "above" else value <= thr
    return GateDecision(
        ts=_base_ts(r),
        signal_id=f"sig-{r.getrandbits(40):010x}",
        gate=gate,
        mode=r.choice(("scalp", "runner")),
        passed=passed,
        value=value,
        threshold=thr,
        direction=direction,
        latency_ms=round(r.uniform(0.05, 2.0), 3),
        severity=Severity.DEBUG,
    )


def _trade(r: random.Random) -> ShadowTrade:
    return ShadowTrade(
        ts=_base_ts(r),
        trade_id=f"st-{r.getrandbits(40):010x}",
        signal_id=f"sig-{r.getrandbits(40):010x}",
        symbol=r.choice(SYMBOLS),
        mode=r.choice(("scalp", "runner")),
        regime=r.choice(REGIMES),
        side=r.choice(("long", "short")),
        entry_price=round(r.uniform(90, 70_000), 2),
        model_id=_sha(r),
        predicted_win_prob=round(r.uniform(0.45, 0.85), 4),
    )


def _outcome(r: random.Random) -> ShadowOutcome:
    decided = _base_ts(r)
    held = r.uniform(30, 3600)
    counterfactual = r.random() < 0.4
    ret = round(r.gauss(4, 25), 2)
    entry = round(r.uniform(90, 70_000), 2)
    return ShadowOutcome(
        ts=decided + timedelta(seconds=held + 1),
        signal_id=f"sig-{r.getrandbits(40):010x}",
        trade_id=None if counterfactual else f"st-{r.getrandbits(40):010x}",
        symbol=r.choice(SYMBOLS),
        mode=r.choice(("scalp", "runner")),
        regime=r.choice(REGIMES),
        side="long",
        counterfactual=counterfactual,
        blocked_by=[r.choice(sorted(GATE_SPECS))] if counterfactual else [],
        entry_price=entry,
        exit_price=round(entry * (1 + ret / 10_000), 6),
        return_bps=ret,
        win=ret > 0,
        holding_seconds=round(held, 1),
        exit_reason=r.choice(("take_profit", "stop_loss", "timeout")),
        decision_timestamp=decided,
        label_cutoff_timestamp=decided + timedelta(seconds=held),
    )


def _training(r: random.Random) -> TrainingSession:
    at = _base_ts(r).replace(hour=0, minute=0, second=5)
    return TrainingSession(
        ts=at + timedelta(minutes=4),
        session_id=f"train-{at:%Y%m%d}",
        model_id=_sha(r),
        trained_at=at,
        data_cutoff_timestamp=at - timedelta(seconds=5),
        duration_s=round(r.uniform(60, 400), 1),
        samples_historical=r.randint(3000, 6000),
        samples_shadow=r.randint(200, 2500),
        auc=round(r.uniform(0.6, 0.75), 4),
        ece=round(r.uniform(0.02, 0.12), 4),
        mce=round(r.uniform(0.08, 0.3), 4),
        brier=round(r.uniform(0.18, 0.24), 4),
        log_loss=round(r.uniform(0.6, 0.69), 4),
        eval_samples=r.randint(500, 1500),
    )


def _calibration(r: random.Random) -> Calibration:
    preds = [round(r.uniform(0.05, 0.95), 4) for _ in range(40)]
    return Calibration(
        ts=_base_ts(r),
        session_id="train-20251106",
        model_id=_sha(r),
        predictions=preds,
        outcomes=[int(r.random() < p) for p in preds],
    )


def _importance(r: random.Random) -> FeatureImportance:
    raw = {f: r.random() for f in FEATURES}
    total = sum(raw.values())
    return FeatureImportance(
        ts=_base_ts(r),
        session_id="train-20251106",
        model_id=_sha(r),
        importances={k: round(v / total, 4) for k, v in raw.items()},
    )


def _registered(r: random.Random) -> ModelRegistered:
    return ModelRegistered(
        ts=_base_ts(r),
        model_id=_sha(r),
        parent_model_id=_sha(r),
        git_sha=f"{r.getrandbits(160):040x}",
        data_snapshot_id="snapshot_2025-11-06",
        metrics={"auc": round(r.uniform(0.62, 0.74), 4), "ece": round(r.uniform(0.03, 0.1), 4)},
        notes="daily retrain on historical + shadow samples",
    )


def _export(r: random.Random) -> ModelExport:
    mid = _sha(r)
    return ModelExport(ts=_base_ts(r), model_id=mid, export_path=f"/srv/hamilton/models/{mid[:12]}.pkl", ready=True)


def _loaded(r: random.Random) -> ModelLoaded:
    mid = _sha(r)
    return ModelLoaded(ts=_base_ts(r), model_id=mid, verified_sha256=mid)


def _live(r: random.Random) -> LiveOutcome:
    decided = _base_ts(r)
    ret = round(r.gauss(2, 28), 2)
    return LiveOutcome(
        ts=decided + timedelta(minutes=30),
        live_trade_id=f"lt-{r.getrandbits(40):010x}",
        model_id=_sha(r),
        symbol=r.choice(SYMBOLS),
        mode=r.choice(("scalp", "runner")),
        regime=r.choice(REGIMES),
        side="long",
        return_bps=ret,
        win=ret > 0,
        slippage_bps=round(r.uniform(0, 3), 2),
        fees_bps=2.0,
        holding_seconds=1700.0,
        decision_timestamp=decided,
        label_cutoff_timestamp=decided + timedelta(minutes=29),
    )


def _market(r: random.Random) -> MarketSnapshot:
    return MarketSnapshot(
        ts=_base_ts(r),
        symbol=r.choice(SYMBOLS),
        price=round(r.uniform(90, 70_000), 2),
        regime=r.choice(REGIMES),
        volatility_bps=round(r.uniform(10, 120), 2),
        spread_bps=round(r.uniform(0.5, 8), 2),
        volume_usd=round(r.uniform(1e5, 5e7), 0),
    )


def _config(r: random.Random) -> ConfigChange:
    old = round(r.uniform(0.4, 0.5), 2)
    return ConfigChange(
        ts=_base_ts(r),
        key="gates.meta_label.thresholds.scalp",
        old_value=old,
        new_value=round(old - 0.02, 2),
        author="engine-autotune",
        reason="pass rate below target for 3 days",
        gate="meta_label",
        mode="scalp",
    )


def _trace(r: random.Random) -> DecisionTrace:
    spans, t = [], 0.0
    for name in ("signal", "features", *sorted(GATE_SPECS), "shadow_trade"):
        d = round(r.uniform(0.05, 3.0), 3)
        spans.append(Span(name=name, start_offset_ms=round(t, 3), duration_ms=d))
        t += d
    return DecisionTrace(ts=_base_ts(r), signal_id=f"sig-{r.getrandbits(40):010x}", spans=spans, outcome="shadow_trade")


def _alert(r: random.Random) -> Alert:
    return Alert(
        ts=_base_ts(r),
        name="gate_pass_rate_low",
        message="meta_label pass rate 3.1% below the 15% minimum",
        component="gates",
        metric_id="gate_pass_rate.meta_label",
        value=0.031,
        threshold=0.15,
    )


_FACTORIES: dict[str, Callable[[random.Random], EventBase]] = {
    "signal": _signal,
    "gate_decision": _gate,
    "shadow_trade": _trade,
    "shadow_outcome": _outcome,
    "training_session": _training,
    "calibration": _calibration,
    "feature_importance": _importance,
    "model_registered": _registered,
    "model_export": _export,
    "model_loaded": _loaded,
    "live_outcome": _live,
    "market_snapshot": _market,
    "config_change": _config,
    "decision_trace": _trace,
    "alert": _alert,
}
assert set(_FACTORIES) == set(EVENT_TYPES), "every event type needs a sample factory"


def sample_events(event_type: str | None = None, n: int = 1, seed: int = 0) -> Iterator[EventBase]:
    """Yield ``n`` valid, realistic events of ``event_type`` (each type when None)."""
    if event_type is not None and event_type not in _FACTORIES:
        raise ValueError(f"unknown event type {event_type!r}; known: {', '.join(sorted(_FACTORIES))}")
    r = random.Random(seed)
    types = [event_type] if event_type else sorted(_FACTORIES)
    for t in types:
        for _ in range(n):
            yield _FACTORIES[t](r)
