"""Hand-built, fully known event days for the metrics tests.

Every event is built here from a seeded RNG with the real event models, so the tests
can recompute any metric independently (numpy / sklearn) from the same Python objects
that went into the real Store.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from huracan.events import (
    Alert,
    Calibration,
    DecisionTrace,
    EventBase,
    GateDecision,
    LiveOutcome,
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

DAY = date(2025, 11, 6)
# gate: (feature or field read, direction, threshold)
GATES = {
    "meta_label": ("meta_prob", "above", 0.45),
    "cost_gate": ("net_edge_bps", "above", 2.0),
    "confidence_gate": ("confidence", "above", 0.55),
    "regime_gate": ("regime_score", "above", 0.40),
    "spread_gate": ("spread_bps", "below", 6.0),
    "volume_gate": ("volume_ratio", "above", 0.70),
}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Days:
    """The events written, and the per-day facts the tests check against."""

    events: list[EventBase] = field(default_factory=list)
    outcomes: list[ShadowOutcome] = field(default_factory=list)
    live: list[LiveOutcome] = field(default_factory=list)
    calibrations: dict[date, Calibration] = field(default_factory=dict)
    sessions: dict[date, TrainingSession] = field(default_factory=dict)
    gate_decisions: list[GateDecision] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    traces: list[DecisionTrace] = field(default_factory=list)


def _at(d: date, seconds: float) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC) + timedelta(seconds=seconds)


def build_days(
    end: date = DAY,
    days: int = 8,
    signals_per_day: int = 120,
    seed: int = 1,
    win_prob: dict[date, float] | None = None,
    ungated_on_end: int = 0,
    missing_feature_on_end: int = 0,
) -> Days:
    """``days`` days ending ``end``: signals, gates, trades, outcomes, training, live, alerts."""
    r = random.Random(seed)
    out = Days()
    for k in range(days - 1, -1, -1):
        d = end - timedelta(days=k)
        p_win = (win_prob or {}).get(d, 0.35)
        for i in range(signals_per_day):
            t0 = r.uniform(60, 70_000)
            mode = "scalp" if r.random() < 0.6 else "runner"
            features = {
                "net_edge_bps": round(r.uniform(-2, 12), 3),
                "regime_score": round(r.uniform(0.2, 1.0), 3),
                "spread_bps": round(r.uniform(0.5, 8.0), 3),
                "volume_ratio": round(r.uniform(0.4, 2.0), 3),
            }
            if d == end and i < missing_feature_on_end:
                del features["spread_bps"]
            sig = Signal(
                ts=_at(d, t0),
                signal_id=f"s-{d:%m%d}-{i}",
                symbol="BTC-USD",
                mode=mode,
                regime="trend",
                side="long",
                price=50_000.0,
                confidence=round(r.uniform(0.4, 0.95), 3),
                features=features,
            )
            out.signals.append(sig)
            out.events.append(sig)
            if d == end and i >= signals_per_day - ungated_on_end:
                continue
            inputs = {**features, "confidence": sig.confidence, "meta_prob": round(r.uniform(0.3, 0.9), 3)}
            failed = []
            for gate, (key, direction, thr) in GATES.items():
                value = inputs.get(key, 99.0 if direction == "below" else 0.0)
                passed = value >= thr if direction == "above" else value <= thr
                gd = GateDecision(
                    ts=_at(d, t0 + 0.01),
                    signal_id=sig.signal_id,
                    gate=gate,
                    mode=mode,
                    passed=passed,
                    value=value,
                    threshold=thr,
                    direction=direction,
                    latency_ms=round(r.uniform(0.1, 2.0), 3),
                )
                out.gate_decisions.append(gd)
                out.events.append(gd)
                if not passed:
                    failed.append(gate)
            ret = round(abs(r.gauss(8, 20)) + 0.01 if r.random() < p_win else -abs(r.gauss(10, 10)) - 0.01, 2)
            if ret == 0:
                ret = 0.5
            hold = r.uniform(60, 3000)
            outcome_kw: dict[str, Any] = dict(
                ts=_at(d, t0 + hold + 1),
                signal_id=sig.signal_id,
                symbol="BTC-USD",
                mode=mode,
                regime="trend",
                side="long",
                entry_price=50_000.0,
                exit_price=round(50_000.0 * (1 + ret / 10_000), 6),
                return_bps=ret,
                win=ret > 0,
                holding_seconds=round(hold, 1),
                decision_timestamp=_at(d, t0),
                label_cutoff_timestamp=_at(d, t0 + hold),
            )
            if failed:
                o = ShadowOutcome(counterfactual=True, blocked_by=failed, **outcome_kw)
            else:
                trade = ShadowTrade(
                    ts=_at(d, t0 + 0.02),
                    trade_id=f"t-{sig.signal_id}",
                    signal_id=sig.signal_id,
                    symbol="BTC-USD",
                    mode=mode,
                    regime="trend",
                    side="long",
                    entry_price=50_000.0,
                )
                out.events.append(trade)
                o = ShadowOutcome(trade_id=trade.trade_id, **outcome_kw)
            out.outcomes.append(o)
            out.events.append(o)
            total = round(r.uniform(5, 40), 3)
            trace = DecisionTrace(
                ts=_at(d, t0 + 0.03),
                signal_id=sig.signal_id,
                spans=[
                    Span(name="signal", start_offset_ms=0.0, duration_ms=round(total / 2, 3)),
                    Span(name="gates", start_offset_ms=round(total / 2, 3), duration_ms=round(total / 2, 3)),
                ],
                outcome="blocked" if failed else "shadow_trade",
            )
            out.traces.append(trace)
            out.events.append(trace)
        _learning(out, d, r, days - k)
        _hamilton(out, d, r)
    _alerts(out, end)
    return out


def _learning(out: Days, d: date, r: random.Random, index: int) -> None:
    model_id = sha(f"model-{d}")
    preds = [round(r.uniform(0.05, 0.95), 3) for _ in range(300)]
    # Outcomes follow the predictions more closely each day: AUC improves.
    sharp = 0.5 + 0.05 * index
    outcomes = [int(r.random() < min(max(0.5 + sharp * (p - 0.5), 0.0), 1.0)) for p in preds]
    at = _at(d, 5)
    session = TrainingSession(
        ts=_at(d, 300),
        session_id=f"train-{d:%Y%m%d}",
        model_id=model_id,
        trained_at=at,
        data_cutoff_timestamp=at - timedelta(seconds=5),
        duration_s=round(r.uniform(60, 300), 1),
        samples_historical=4000 + 10 * index,
        samples_shadow=300 + 50 * index,
        auc=round(0.62 + 0.01 * index, 4),
        ece=0.05,
        mce=0.15,
        brier=0.22,
        log_loss=0.64,
        eval_samples=300,
    )
    cal = Calibration(
        ts=_at(d, 310),
        session_id=session.session_id,
        model_id=model_id,
        predictions=preds,
        outcomes=outcomes,
        reported_ece=0.05,
    )
    out.sessions[d] = session
    out.calibrations[d] = cal
    reg = ModelRegistered(ts=_at(d, 320), model_id=model_id, git_sha="abc1234", data_snapshot_id=f"snap-{d}")
    exp = ModelExport(ts=_at(d, 330), model_id=model_id, export_path=f"/x/{model_id[:8]}", ready=True)
    out.events += [session, cal, reg, exp]
    if d != DAY:  # the report day's export is still waiting for Hamilton
        out.events.append(ModelLoaded(ts=_at(d, 930), model_id=model_id, verified_sha256=model_id))


def _hamilton(out: Days, d: date, r: random.Random) -> None:
    for i in range(25):
        t0 = r.uniform(3600, 80_000)
        ret = round(r.gauss(3, 15), 2) or 0.5
        lo = LiveOutcome(
            ts=_at(d, t0 + 600),
            live_trade_id=f"lt-{d:%m%d}-{i}",
            model_id=sha(f"model-{d}"),
            symbol="BTC-USD",
            mode="scalp" if i % 2 else "runner",
            regime="trend",
            side="long",
            return_bps=ret,
            win=ret > 0,
            slippage_bps=round(r.uniform(0, 3), 2),
            fees_bps=2.0,
            decision_timestamp=_at(d, t0),
            label_cutoff_timestamp=_at(d, t0 + 500),
        )
        out.live.append(lo)
        out.events.append(lo)


def _alerts(out: Days, d: date) -> None:
    out.events += [
        Alert(ts=_at(d, 100), name="ingest_dropping", message="shed 5", component="ingest", value=5.0, threshold=0.0),
        Alert(ts=_at(d, 200), name="ingest_dropping", message="shed 7", component="ingest", value=7.0, threshold=0.0),
        Alert(
            ts=_at(d, 36_000),
            severity=Severity.CRITICAL,
            name="ingest_kill_switch",
            message="kill switch",
            component="ingest",
            value=0.96,
            threshold=0.95,
        ),
        Alert(
            ts=_at(d, 36_300),
            severity=Severity.INFO,
            name="ingest_kill_switch_recovered",
            message="recovered",
            component="ingest",
        ),
    ]
