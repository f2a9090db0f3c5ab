"""The simulated Engine: gates every signal, shadow-trades the passes, retrains daily.

Per signal it logs the ``signal``, one ``gate_decision`` per gate, a ``decision_trace``
with per-step timings, and either a ``shadow_trade`` + ``shadow_outcome`` or the
counterfactual ``shadow_outcome`` of the blocked signal (``blocked_by`` = the gates that
failed). Every day at 00:00 UTC it retrains the meta-label model on the samples whose
outcomes are already known, registers it, and exports it to Hamilton when ready — that
daily training step lives in :mod:`huracan.simulate.training`, mixed into :class:`Engine`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from huracan.events import (
    ConfigChange,
    DecisionTrace,
    EventBase,
    GateDecision,
    MarketSnapshot,
    Severity,
    ShadowOutcome,
    ShadowTrade,
    Signal,
    Span,
    TrainingSample,
)
from huracan.simulate.gates import AutoTuner, GateRule
from huracan.simulate.hamilton import Hamilton, LiveFill
from huracan.simulate.learner import LearnerName, predict_piecewise
from huracan.simulate.market import REGIMES, Market
from huracan.simulate.ports import IdSource, Registry
from huracan.simulate.signals import EXIT_REASONS, LOGGED_FEATURES, MODEL_INPUTS, MODES, SignalBatch
from huracan.simulate.training import GIT_SHA, DailyTraining
from huracan.simulate.training import to_utc as _dt

__all__ = ["GIT_SHA", "Engine"]

PRIOR_WIN_PROB = {"scalp": 0.45, "runner": 0.30}  # used before the first model exists


@dataclass(frozen=True)
class _DayColumns:
    """One day's signals as plain Python lists (row ``i`` is signal ``i``)."""

    ts: list[float]
    mode: list[str]
    symbol: list[str]
    regime: list[str]
    side: list[int]
    price: list[float]
    confidence: list[float]
    features: list[dict[str, float]]
    rows: list[list[float]]
    meta: list[float]
    ham_prob: list[float]
    ham_model: list[str | None]
    dur: list[list[float]]
    offsets: list[list[float]]
    ret: list[float]
    held: list[float]
    exit: list[str]
    lag: list[float]


@dataclass
class Engine(DailyTraining):
    """One simulated Engine; ``schedule`` queues events for time-ordered emission."""

    market: Market
    rules: list[GateRule]
    registry: Registry
    hamilton: Hamilton
    schedule: Callable[[EventBase], None]
    ids: IdSource
    rng: np.random.Generator
    learner: LearnerName = "hgb"
    window: timedelta = timedelta(days=7)
    seed: int = 0
    pool: list[TrainingSample] = field(default_factory=list)
    segments: list[tuple[float, Any, str]] = field(default_factory=list)
    tuner: AutoTuner = field(init=False)
    registered: list[str] = field(default_factory=list)
    exported: list[str] = field(default_factory=list)
    aucs: list[float] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"signals": 0, "shadow_trades": 0, "blocked": 0})

    def __post_init__(self) -> None:
        self.tuner = AutoTuner(self.rules)

    # --- thresholds -------------------------------------------------------------

    def change_threshold(
        self, day: int, at: datetime, gate: str, mode: str, new: float, author: str, reason: str
    ) -> None:
        rule = next(r for r in self.rules if r.name == gate)
        old = rule.thresholds[mode]
        rule.thresholds[mode] = new
        self.tuner.changed(day, gate, mode)
        self.schedule(
            ConfigChange(
                event_id=self.ids.event_id(),
                ts=at,
                severity=Severity.WARNING,
                key=f"gates.{gate}.thresholds.{mode}",
                old_value=old,
                new_value=new,
                author=author,
                reason=reason,
                gate=gate,
                mode=mode,
            )
        )

    def autotune(self, day: int, at: datetime) -> None:
        for p in self.tuner.proposals(day):
            self.change_threshold(day, at, p.gate, p.mode, p.new, "engine-autotune", p.reason)

    # --- the decision pipeline ----------------------------------------------------

    def _trace_durations(self, n: int) -> np.ndarray:
        """Step timings in ms: lognormal, with rare slow outliers (cache misses, GC)."""
        names = self._span_names()
        med = np.array([0.08, 1.1, *(0.45 if r.name == "meta_label" else 0.06 for r in self.rules), 0.9])
        d = med * self.rng.lognormal(0, 0.4, (n, len(names)))
        slow = self.rng.random((n, len(names))) < np.array([0.0, 0.008, *(0.004 for _ in self.rules), 0.005])
        d[slow] += self.rng.uniform(15, 140, int(slow.sum()))
        return np.round(d, 3)

    def _span_names(self) -> list[str]:
        return ["signal", "features", *(r.name for r in self.rules), "shadow_trade"]

    def run_day(self, day_index: int, batch: SignalBatch, changes: list[tuple[float, Callable[[], None]]]) -> None:
        """Decide every signal of ``batch``; ``changes`` run at their time (threshold edits)."""
        n = len(batch)
        x = batch.matrix()
        meta = predict_piecewise(x, batch.ts, [(s, m) for s, m, _ in self.segments])
        starts = np.array([s for s, _, _ in self.segments])
        seg = (np.searchsorted(starts, batch.ts, side="right") - 1).tolist()
        ham_prob, ham_model = self.hamilton.probabilities(x, batch.ts)
        dur = self._trace_durations(n)
        offsets = np.round(np.concatenate((np.zeros((n, 1)), np.cumsum(dur, axis=1)), axis=1), 3)
        # Python lists once per day: per-element numpy scalar access is the slow path.
        day = _DayColumns(
            ts=batch.ts.tolist(),
            mode=[MODES[m] for m in batch.mode.tolist()],
            symbol=[self.market.symbols[s] for s in batch.symbol.tolist()],
            regime=[REGIMES[r] for r in batch.regime.tolist()],
            side=batch.side.tolist(),
            price=np.round(batch.price, 6).tolist(),
            confidence=batch.confidence.tolist(),
            features=[
                dict(zip(LOGGED_FEATURES, v, strict=True))
                for v in zip(*(batch.features[f].tolist() for f in LOGGED_FEATURES), strict=True)
            ],
            rows=x.tolist(),
            meta=meta.tolist(),
            ham_prob=ham_prob.tolist(),
            ham_model=ham_model,
            dur=dur.tolist(),
            offsets=offsets.tolist(),
            ret=batch.return_bps.tolist(),
            held=batch.holding_s.tolist(),
            exit=[EXIT_REASONS[e] for e in batch.exit_reason.tolist()],
            lag=self.rng.uniform(0.2, 3.0, n).tolist(),
        )
        names = self._span_names()
        stats: dict[tuple[str, str], tuple[list[float], list[bool]]] = {}
        pending = sorted(changes, key=lambda c: c[0])
        for i in range(n):
            while pending and pending[0][0] <= day.ts[i]:
                pending.pop(0)[1]()
            model_id = self.segments[seg[i]][2] if seg[i] >= 0 else None
            self._decide(day, i, model_id, names, stats)
        for _, cb in pending:  # changes after the day's last signal still happen today
            cb()
        for (gate, mode), (values, passed) in stats.items():
            self.tuner.record(day_index, gate, mode, np.array(values), np.array(passed))

    def _decide(
        self,
        c: _DayColumns,
        i: int,
        model_id: str | None,
        names: list[str],
        stats: dict[tuple[str, str], tuple[list[float], list[bool]]],
    ) -> None:
        t, mode, symbol, regime, price = c.ts[i], c.mode[i], c.symbol[i], c.regime[i], c.price[i]
        side = "long" if c.side[i] > 0 else "short"
        feats, dur, offsets = c.features[i], c.dur[i], c.offsets[i]
        meta_prob = round(c.meta[i], 6) if math.isfinite(c.meta[i]) else PRIOR_WIN_PROB[mode]
        sid = self.ids.make("sig")
        self.schedule(
            Signal(
                event_id=self.ids.event_id(),
                ts=_dt(t),
                signal_id=sid,
                symbol=symbol,
                mode=mode,
                regime=regime,
                side=side,
                price=price,
                confidence=c.confidence[i],
                features=feats,
            )
        )
        inputs = {**feats, "confidence": c.confidence[i], "meta_prob": meta_prob, "mode": mode}
        failed: list[str] = []
        for k, rule in enumerate(self.rules):
            value = float(rule.value(inputs))
            passed = rule.passes(value, mode)
            if not passed:
                failed.append(rule.name)
            vals, oks = stats.setdefault((rule.name, mode), ([], []))
            vals.append(value)
            oks.append(passed)
            self.schedule(
                GateDecision(
                    event_id=self.ids.event_id(),
                    ts=_dt(t + offsets[k + 3] / 1000),
                    severity=Severity.DEBUG,
                    signal_id=sid,
                    gate=rule.name,
                    mode=mode,
                    passed=passed,
                    value=value,
                    threshold=rule.thresholds[mode],
                    direction=rule.direction,
                    model_id=model_id if rule.measures == "meta_prob" else None,
                    latency_ms=dur[k + 2],
                )
            )
        traded = not failed
        n_spans = len(names) if traded else len(names) - 1
        spans = [Span(name=names[k], start_offset_ms=offsets[k], duration_ms=dur[k]) for k in range(n_spans)]
        decided = t + offsets[n_spans] / 1000
        self.schedule(
            DecisionTrace(
                event_id=self.ids.event_id(),
                ts=_dt(decided),
                severity=Severity.DEBUG,
                signal_id=sid,
                spans=spans,
                outcome="shadow_trade" if traded else "blocked",
            )
        )
        trade_id = self.ids.make("st") if traded else None
        self.counts["signals"] += 1
        self.counts["shadow_trades" if traded else "blocked"] += 1
        if trade_id is not None:
            self.schedule(
                ShadowTrade(
                    event_id=self.ids.event_id(),
                    ts=_dt(decided),
                    trade_id=trade_id,
                    signal_id=sid,
                    symbol=symbol,
                    mode=mode,
                    regime=regime,
                    side=side,
                    entry_price=price,
                    model_id=model_id,
                    predicted_win_prob=meta_prob,
                )
            )
        ret, held = c.ret[i], c.held[i]
        closed = decided + held
        self.schedule(
            ShadowOutcome(
                event_id=self.ids.event_id(),
                ts=_dt(closed + c.lag[i]),
                signal_id=sid,
                trade_id=trade_id,
                symbol=symbol,
                mode=mode,
                regime=regime,
                side=side,
                counterfactual=not traded,
                blocked_by=failed,
                entry_price=price,
                exit_price=round(price * (1 + c.side[i] * ret / 1e4), 8),
                return_bps=ret,
                win=ret > 0,
                holding_seconds=held,
                exit_reason=c.exit[i],
                model_id=model_id,
                decision_timestamp=_dt(decided),
                label_cutoff_timestamp=_dt(closed),
            )
        )
        self.pool.append(
            TrainingSample(
                sample_id=sid,
                decision_timestamp=_dt(decided),
                label_cutoff_timestamp=_dt(closed),
                features=dict(zip(MODEL_INPUTS, c.rows[i], strict=True)),
                label=int(ret > 0),
                origin="shadow" if traded else "counterfactual",
            )
        )
        if traded:
            fill = LiveFill(sid, decided, symbol, mode, regime, side, feats["spread_bps"], ret, held)
            live = self.hamilton.trade(fill, c.ham_prob[i], self._threshold("meta_prob", mode), c.ham_model[i])
            if live is not None:
                self.schedule(live)

    def _threshold(self, measures: str, mode: str) -> float:
        for r in self.rules:
            if r.measures == measures and mode in r.thresholds:
                return r.thresholds[mode]
        return 0.5

    def snapshots(self, start_ts: float, end_ts: float, every_s: float) -> None:
        """Market snapshots of every symbol every ``every_s`` seconds."""
        ts = np.arange(start_ts, end_ts, every_s)
        for symbol in self.market.symbols:
            c = self.market.columns(symbol, ts)
            for j, t in enumerate(ts):
                self.schedule(
                    MarketSnapshot(
                        event_id=self.ids.event_id(),
                        ts=_dt(float(t)),
                        symbol=symbol,
                        price=round(float(c["price"][j]), 6),
                        regime=REGIMES[int(c["regime"][j])],
                        volatility_bps=round(float(c["volatility_bps"][j]), 2),
                        spread_bps=round(float(c["spread_bps"][j]), 3),
                        volume_usd=round(float(c["volume_usd"][j]), 0),
                    )
                )
