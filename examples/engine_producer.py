"""A complete Engine (and Hamilton) producer for Huracan: every event type, the model
registry, exports and Hamilton's side. docs/engine.md walks through it; tests run it.

    huracan daemon &                                  # or the systemd service
    python examples/engine_producer.py --hours 36     # replays 36 hours of a market

``MarketFeed`` is a seeded random walk standing in for an exchange feed: replace it with
your exchange client (it must yield one ``Quote`` per symbol per tick). Everything else is
what an Engine does for real: features, six gates, shadow trades and their outcomes, the
counterfactual outcome of every blocked signal, a meta-label model retrained on schedule
and registered under its SHA256, exported when ready, loaded by Hamilton, traded live.
"""

from __future__ import annotations

import argparse
import math
import pickle
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from huracan.config import load_config
from huracan.events import (
    Alert,
    Calibration,
    ConfigChange,
    DecisionTrace,
    FeatureImportance,
    GateDecision,
    LiveOutcome,
    MarketSnapshot,
    ModelLoaded,
    ShadowOutcome,
    ShadowTrade,
    Signal,
    Span,
    TrainingSession,
)
from huracan.ingest.client import connect
from huracan.store.registry import ModelRegistry, NotReadyError

# Each gate reads one input of the decision (huracan/configs/gates.yaml): name -> (input,
# direction, threshold per mode). `meta_prob` is the meta-label model's win probability.
GATES = {
    "meta_label": ("meta_prob", "above", {"scalp": 0.45, "runner": 0.55}),
    "cost_gate": ("net_edge_bps", "above", {"scalp": 2.0, "runner": 5.0}),
    "confidence_gate": ("confidence", "above", {"scalp": 0.55, "runner": 0.60}),
    "regime_gate": ("regime_score", "above", {"scalp": 0.40, "runner": 0.55}),
    "spread_gate": ("spread_bps", "below", {"scalp": 6.0, "runner": 10.0}),
    "volume_gate": ("volume_ratio", "above", {"scalp": 0.70, "runner": 0.50}),
}
FEATURES = ["net_edge_bps", "regime_score", "spread_bps", "volume_ratio", "volatility_bps", "confidence"]
HOLD = {"scalp": timedelta(minutes=10), "runner": timedelta(minutes=60)}


@dataclass
class Quote:
    symbol: str
    price: float
    spread_bps: float
    volume_ratio: float
    volatility_bps: float
    regime: str
    drift: float  # the market's hidden direction: what a good model learns to see


class MarketFeed:
    """A seeded random walk with regimes, one quote per symbol per tick (swap in your exchange)."""

    def __init__(self, symbols: list[str], seed: int) -> None:
        self.rng = random.Random(seed)
        self.state = {s: [100.0 * (i + 1) ** 2, "range", 0.0] for i, s in enumerate(symbols)}

    def tick(self) -> list[Quote]:
        quotes = []
        for symbol, st in self.state.items():
            if self.rng.random() < 0.01:
                st[1] = self.rng.choice(["trend", "range", "volatile"])
                st[2] = self.rng.gauss(0, {"trend": 6.0, "range": 1.5, "volatile": 3.0}[str(st[1])])
            vol = {"trend": 12.0, "range": 6.0, "volatile": 25.0}[str(st[1])]
            st[0] = float(st[0]) * math.exp((float(st[2]) + self.rng.gauss(0, vol)) / 10_000)
            quotes.append(
                Quote(
                    symbol,
                    round(float(st[0]), 6),
                    round(abs(self.rng.gauss(3, 2)) + 0.5, 3),
                    round(abs(self.rng.gauss(1.0, 0.4)), 3),
                    vol,
                    str(st[1]),
                    float(st[2]),
                )
            )
        return quotes


def new_id(prefix: str) -> str:
    """Ids are short, unique strings: a prefix and a random hex part."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class Engine:
    def __init__(self, log: object, registry: ModelRegistry, export_dir: Path, seed: int) -> None:
        self.log = log.log  # type: ignore[attr-defined]
        self.registry = registry
        self.export_dir = export_dir
        self.rng = random.Random(seed + 1)
        self.thresholds = {g: dict(spec[2]) for g, spec in GATES.items()}
        self.model: LogisticRegression | None = None
        self.model_id: str | None = None
        self.loaded_by_hamilton: str | None = None
        self.open: list[dict] = []  # decisions waiting for their outcome
        self.samples: list[tuple[list[float], int]] = []  # (features, won) for training
        self.recent_scalp: list[bool] = []  # meta_label verdicts, for the threshold tuner

    # -- one decision -----------------------------------------------------------------
    def on_quote(self, q: Quote, t: datetime) -> None:
        if self.rng.random() > 0.8:  # not every quote makes a signal
            return
        mode = "scalp" if self.rng.random() < 0.75 else "runner"
        side = "long" if q.drift + self.rng.gauss(0, 3) >= 0 else "short"
        edge = q.drift if side == "long" else -q.drift  # > 0 when the trade goes with the market
        features = {
            "net_edge_bps": round(self.rng.gauss(2 + 0.8 * edge, 2), 3),
            "regime_score": round(min(1.0, max(0.0, self.rng.gauss(0.7 if q.regime == "trend" else 0.45, 0.15))), 3),
            "spread_bps": q.spread_bps,
            "volume_ratio": q.volume_ratio,
            "volatility_bps": q.volatility_bps,
        }
        confidence = round(min(0.99, max(0.01, self.rng.gauss(0.55 + 0.02 * edge, 0.06))), 4)
        signal = Signal(
            ts=t,
            signal_id=new_id("sig"),
            symbol=q.symbol,
            mode=mode,
            regime=q.regime,
            side=side,
            price=q.price,
            confidence=confidence,
            features=features,
        )
        self.log(signal)
        inputs = {**features, "confidence": confidence, "meta_prob": self.meta_prob(features, confidence)}
        spans, offset, blocked = [Span(name="features", start_offset_ms=0.0, duration_ms=0.4)], 0.4, []
        for gate, (measures, direction, _) in GATES.items():
            value, threshold = float(inputs[measures]), self.thresholds[gate][mode]
            passed = value >= threshold if direction == "above" else value <= threshold
            latency = 2.5 if gate == "meta_label" else 0.05
            self.log(
                GateDecision(
                    ts=t,
                    signal_id=signal.signal_id,
                    gate=gate,
                    mode=mode,
                    passed=passed,
                    value=value,
                    threshold=threshold,
                    direction=direction,
                    model_id=self.model_id if gate == "meta_label" else None,
                    latency_ms=latency,
                )
            )
            spans.append(Span(name=gate, start_offset_ms=offset, duration_ms=latency))
            offset += latency
            if not passed:
                blocked.append(gate)
            if gate == "meta_label" and mode == "scalp":
                self.recent_scalp.append(passed)
        self.log(
            DecisionTrace(
                ts=t, signal_id=signal.signal_id, spans=spans, outcome="blocked" if blocked else "shadow_trade"
            )
        )
        trade_id = None
        if not blocked:
            trade_id = new_id("st")
            self.log(
                ShadowTrade(
                    ts=t,
                    trade_id=trade_id,
                    signal_id=signal.signal_id,
                    symbol=q.symbol,
                    mode=mode,
                    regime=q.regime,
                    side=side,
                    entry_price=q.price,
                    model_id=self.model_id,
                    predicted_win_prob=inputs["meta_prob"],
                )
            )
        self.open.append(
            {"signal": signal, "trade_id": trade_id, "blocked": blocked, "close_at": t + HOLD[mode], "x": inputs}
        )

    def meta_prob(self, features: dict[str, float], confidence: float) -> float:
        if self.model is None:
            return 0.5  # no model yet: neutral
        x = [[{**features, "confidence": confidence}[f] for f in FEATURES]]
        return round(float(self.model.predict_proba(np.array(x))[0, 1]), 4)

    # -- outcomes: every decision gets one, a blocked one its counterfactual ---------------
    def close_due(self, prices: dict[str, float], t: datetime) -> None:
        still_open = []
        for d in self.open:
            if d["close_at"] > t:
                still_open.append(d)
                continue
            s: Signal = d["signal"]
            exit_price = prices[s.symbol]
            sign = 1 if s.side == "long" else -1
            ret = round(sign * (exit_price / s.price - 1) * 10_000 - 2.0, 3)  # 2 bps of costs
            self.log(
                ShadowOutcome(
                    ts=t,
                    decision_timestamp=s.ts,
                    label_cutoff_timestamp=t,  # the label is known only now: never before the decision
                    signal_id=s.signal_id,
                    trade_id=d["trade_id"],
                    symbol=s.symbol,
                    mode=s.mode,
                    regime=s.regime,
                    side=s.side,
                    counterfactual=bool(d["blocked"]),
                    blocked_by=d["blocked"],
                    entry_price=s.price,
                    exit_price=exit_price,
                    return_bps=ret,
                    win=ret > 0,
                    holding_seconds=(t - s.ts).total_seconds(),
                    exit_reason="timeout",
                    model_id=self.model_id,
                )
            )
            self.samples.append(([float(d["x"][f]) for f in FEATURES], int(ret > 0)))
            if d["trade_id"] and self.loaded_by_hamilton and self.rng.random() < 0.5:
                self.hamilton_trades(s, ret, t)
        self.open = still_open

    # -- Hamilton's side: load only a verified model, trade it, report back ----------------
    def hamilton_loads(self, model_id: str, t: datetime) -> None:
        self.registry.load(model_id, pickle.loads)  # raises unless the bytes hash to model_id
        self.log(ModelLoaded(ts=t, model_id=model_id, verified_sha256=model_id))
        self.loaded_by_hamilton = model_id

    def hamilton_trades(self, s: Signal, shadow_bps: float, t: datetime) -> None:
        slippage = round(abs(self.rng.gauss(1.0, 0.5)), 3)
        live = round(shadow_bps - slippage, 3)
        self.log(
            LiveOutcome(
                ts=t,
                decision_timestamp=s.ts,
                label_cutoff_timestamp=t,
                live_trade_id=new_id("lt"),
                signal_id=s.signal_id,
                model_id=self.loaded_by_hamilton,
                symbol=s.symbol,
                mode=s.mode,
                regime=s.regime,
                side=s.side,
                return_bps=live,
                win=live > 0,
                slippage_bps=slippage,
                fees_bps=2.0,
                holding_seconds=(t - s.ts).total_seconds(),
            )
        )

    # -- the retrain: fit, evaluate out of time, register, export when ready ----------------
    def retrain(self, t: datetime, git_sha: str) -> None:
        if len(self.samples) < 60:
            return
        started = time.perf_counter()
        x = np.array([s[0] for s in self.samples])
        y = np.array([s[1] for s in self.samples])
        cut = int(len(y) * 0.7)  # train on the older 70 %, evaluate on the newest 30 %
        if len(set(y[:cut])) < 2 or len(set(y[cut:])) < 2:
            return
        model = LogisticRegression(max_iter=500).fit(x[:cut], y[:cut])
        pred = model.predict_proba(x[cut:])[:, 1]
        auc = float(roc_auc_score(y[cut:], pred))
        bins = np.minimum((pred * 10).astype(int), 9)
        ece = float(sum(abs(pred[bins == b].mean() - y[cut:][bins == b].mean()) * (bins == b).sum()
                        for b in range(10) if (bins == b).any()) / len(pred))  # fmt: skip
        model_id = self.registry.register(
            pickle.dumps(model),
            learner="meta_label",
            git_sha=git_sha,
            data_snapshot_id=f"samples-{t:%Y%m%d%H%M}-{len(y)}",
            metrics={"auc": round(auc, 4), "ece": round(ece, 4), "samples": float(cut)},
            parent_model_id=self.model_id,
            notes="scheduled retrain",
            ts=t,
        )
        session = new_id("train")
        # brier and log_loss are optional: this Engine does not compute them, so it leaves
        # them out and Huracan shows them as absent rather than inventing a value.
        self.log(
            TrainingSession(
                ts=t,
                session_id=session,
                model_id=model_id,
                trained_at=t,
                data_cutoff_timestamp=t,
                duration_s=round(time.perf_counter() - started, 3),
                samples_historical=0,
                samples_shadow=cut,
                auc=round(auc, 4),
                ece=round(ece, 4),
                mce=round(ece * 2, 4) if ece * 2 <= 1 else 1.0,
                eval_samples=len(pred),
            )
        )
        self.log(
            Calibration(
                ts=t,
                session_id=session,
                model_id=model_id,
                predictions=pred.round(4).tolist(),
                outcomes=y[cut:].tolist(),
            )
        )
        weights = np.abs(model.coef_[0]) / np.abs(model.coef_[0]).sum()
        self.log(
            FeatureImportance(
                ts=t,
                session_id=session,
                model_id=model_id,
                importances=dict(zip(FEATURES, weights.round(4).tolist(), strict=True)),
            )
        )
        self.model, self.model_id = model, model_id
        try:
            self.registry.export(model_id, ts=t, export_dir=self.export_dir)  # refuses a model that is not ready
        except NotReadyError as exc:
            print(f"model {model_id[:12]} not exported: {exc}")
            return
        self.hamilton_loads(model_id, min(t + timedelta(minutes=5), datetime.now(UTC)))

    # -- the Engine tunes its own thresholds, and says so ---------------------------------
    def tune(self, t: datetime) -> None:
        window = self.recent_scalp[-100:]
        if len(window) < 100:
            return
        rate = sum(window) / len(window)
        old = self.thresholds["meta_label"]["scalp"]
        new = round(old + 0.02, 4) if rate > 0.60 else (round(old - 0.02, 4) if rate < 0.15 else old)
        if new != old:
            self.thresholds["meta_label"]["scalp"] = new
            self.log(
                ConfigChange(
                    ts=t,
                    key="gates.meta_label.thresholds.scalp",
                    old_value=old,
                    new_value=new,
                    author="engine-autotune",
                    reason=f"meta_label scalp pass rate {rate:.0%} over the last 100 signals",
                    gate="meta_label",
                    mode="scalp",
                )
            )
            self.recent_scalp.clear()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hours", type=float, default=36.0, help="hours of market to replay, ending now")
    p.add_argument("--train-every", type=float, default=6.0, help="hours between retrains")
    p.add_argument("--symbols", default="BTC-USD,ETH-USD")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--url", default=None, help="daemon URL (default: discovered, see connect())")
    p.add_argument("--export-dir", type=Path, default=None, help="where Hamilton reads models")
    p.add_argument("--git-sha", default="0" * 40, help="the Engine's commit (7-40 hex characters)")
    args = p.parse_args(argv)

    settings = load_config()  # the same huracan.yaml / HURACAN_* the daemon reads
    log = connect(args.url, settings)  # a started EventLogger; log() never blocks
    registry = ModelRegistry(settings, log.log)  # artifacts under settings.registry_dir
    engine = Engine(log, registry, args.export_dir or settings.registry_dir / "exports", args.seed)
    feed = MarketFeed(args.symbols.split(","), args.seed)
    now = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    t = now - timedelta(hours=args.hours)
    next_train = t + timedelta(hours=args.train_every)
    minute = 0
    try:
        while t <= now:
            quotes = feed.tick()
            if minute % 10 == 0:
                for q in quotes:
                    log.log(
                        MarketSnapshot(
                            ts=t,
                            symbol=q.symbol,
                            price=q.price,
                            regime=q.regime,
                            volatility_bps=q.volatility_bps,
                            spread_bps=q.spread_bps,
                            volume_usd=round(q.volume_ratio * 2e6, 2),
                        )
                    )
            if minute == 90:  # a feed gap: the Engine raises its own alert
                log.log(
                    Alert(
                        ts=t,
                        source="engine",
                        severity="WARNING",
                        name="feed_gap",
                        component="engine.feed",
                        message=f"no quote from {quotes[0].symbol} for 40 s; decisions paused",
                    )
                )
            for q in quotes:
                engine.on_quote(q, t)
            engine.close_due({q.symbol: q.price for q in quotes}, t)
            engine.tune(t)
            if t >= next_train:
                engine.retrain(t, args.git_sha)
                next_train += timedelta(hours=args.train_every)
            t += timedelta(minutes=1)
            minute += 1
    finally:
        log.close()  # drains the queue: every logged event reaches the daemon (or the spool)
    print(f"replayed {minute} minutes; stats: {log.stats()}")


if __name__ == "__main__":
    main()
