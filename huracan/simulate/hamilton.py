"""Hamilton, the live trading system: loads exported models and reports live outcomes.

Hamilton picks up an export some minutes after it is written, verifies the file's
SHA256 through the registry *before* unpickling it, acknowledges with ``model_loaded``
and from then on trades the Engine's approved signals that its loaded model also likes.
Live returns are the shadow returns minus slippage and fees, plus execution noise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from huracan.events import Alert, EventBase, LiveOutcome, ModelLoaded, Severity
from huracan.simulate.learner import loads_model, predict_piecewise
from huracan.simulate.ports import IdSource, Registry, export_path

__all__ = ["Hamilton", "LiveFill"]

CAPACITY = 0.75  # share of liked signals Hamilton has risk budget for
FEE_TIERS_BPS = (1.0, 1.5, 2.5)  # maker, blended, taker


@dataclass(frozen=True)
class LiveFill:
    """What Hamilton needs to know about an approved signal to trade it."""

    signal_id: str
    decided_at: float  # POSIX seconds
    symbol: str
    mode: str
    regime: str
    side: str
    spread_bps: float
    shadow_return_bps: float
    holding_s: float


@dataclass
class Hamilton:
    """The live side; ``schedule`` emits through the Engine's time-ordered queue."""

    registry: Registry
    schedule: Callable[[EventBase], None]
    ids: IdSource
    rng: np.random.Generator
    segments: list[tuple[float, Any, str]] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)
    trades: int = 0

    def on_export(self, manifest: Any, model_id: str, exported_at: datetime, *, acknowledge: bool = True) -> None:
        """React to an export: verify, load and acknowledge it a few minutes later."""
        if not acknowledge:
            return  # e.g. Hamilton was restarting: the export stays unacknowledged
        load_at = exported_at + timedelta(seconds=float(self.rng.uniform(90, 2_700)))
        path = export_path(manifest)
        try:
            verified = self.registry.verify(path)
        except Exception as exc:
            self.schedule(
                Alert(
                    event_id=self.ids.event_id(),
                    ts=load_at,
                    source="hamilton",
                    severity=Severity.ERROR,
                    name="model_verification_failed",
                    message=f"Hamilton refused model {model_id[:12]} from {path}: {exc}",
                    component="hamilton",
                )
            )
            return
        model = loads_model(path.read_bytes())
        self.schedule(
            ModelLoaded(event_id=self.ids.event_id(), ts=load_at, model_id=model_id, verified_sha256=verified)
        )
        self.segments.append((load_at.timestamp(), model, model_id))
        self.loaded.append(model_id)

    def probabilities(self, x: np.ndarray, ts: np.ndarray) -> tuple[np.ndarray, list[str | None]]:
        """Hamilton's loaded model's win probability for each row (NaN before any load)."""
        probs = predict_piecewise(x, ts, [(start, model) for start, model, _ in self.segments])
        starts = np.array([s for s, _, _ in self.segments])
        idx = np.searchsorted(starts, ts, side="right") - 1
        ids = [self.segments[i][2] if i >= 0 else None for i in idx.tolist()]
        return probs, ids

    def trade(self, fill: LiveFill, prob: float, threshold: float, model_id: str | None) -> LiveOutcome | None:
        """Trade an approved signal if the loaded model clears ``threshold`` and risk allows."""
        if model_id is None or not np.isfinite(prob) or prob < threshold or self.rng.random() > CAPACITY:
            return None
        latency = float(self.rng.uniform(0.05, 0.6))
        slippage = round(abs(fill.spread_bps / 2 * self.rng.uniform(0.3, 1.2) + self.rng.normal(0, 0.4)), 3)
        fees = float(self.rng.choice(FEE_TIERS_BPS))
        noise_sd = 2.5 if fill.mode == "scalp" else 8.0
        ret = round(fill.shadow_return_bps - slippage - fees + float(self.rng.normal(0, noise_sd)), 2)
        if ret == 0:
            ret = -0.01  # flat after costs is a loss
        decided = datetime.fromtimestamp(fill.decided_at + latency, UTC)
        held = max(1.0, fill.holding_s * float(self.rng.uniform(0.9, 1.1)))
        closed = decided + timedelta(seconds=held)
        self.trades += 1
        return LiveOutcome(
            event_id=self.ids.event_id(),
            ts=closed + timedelta(seconds=float(self.rng.uniform(0.5, 5))),
            live_trade_id=self.ids.make("lt"),
            signal_id=fill.signal_id,
            model_id=model_id,
            symbol=fill.symbol,
            mode=fill.mode,
            regime=fill.regime,
            side=fill.side,
            return_bps=ret,
            win=ret > 0,
            slippage_bps=slippage,
            fees_bps=fees,
            holding_seconds=round(held, 1),
            decision_timestamp=decided,
            label_cutoff_timestamp=closed,
        )
