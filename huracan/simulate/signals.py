"""The Engine's signals: when they arrive, their features, and how they would really pay.

A signal's true win probability is a logistic function of its features whose
coefficients depend on the market regime and on the current :class:`Era` — the
"rules of the market". Eras change a few times a month (a regime shift), which is
what makes a model trained on last week sometimes worse than the one before it.
Outcomes are drawn for every signal, so a blocked signal has an honest
counterfactual and the meta-label model has labels to learn from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from huracan.simulate.market import PROFILES, STEP_SECONDS, TREND, Market

__all__ = [
    "ERAS",
    "EXIT_REASONS",
    "FEATURES",
    "LOGGED_FEATURES",
    "MODEL_INPUTS",
    "MODES",
    "Era",
    "SignalBatch",
    "draw_signals",
]

MODES: tuple[str, ...] = ("scalp", "runner")
SCALP, RUNNER = 0, 1
EXIT_REASONS: tuple[str, ...] = ("take_profit", "stop_loss", "timeout")
TAKE_PROFIT, STOP_LOSS, TIMEOUT = 0, 1, 2

#: Features a ``signal`` event carries (the gate inputs first, see docs/contracts.md).
FEATURES: tuple[str, ...] = (
    "net_edge_bps",
    "regime_score",
    "spread_bps",
    "volume_ratio",
    "volatility_1h",
    "momentum_15m",
    "orderbook_imbalance",
    "funding_rate",
    "trend_strength",
)
#: Logged with every signal but not a model input: order-book depth within 10 bps of the
#: mid (USD), derived from volume and spread (no extra random draws, so seeded runs keep
#: their outcomes). Third-party gates read it, e.g. the example plugin's liquidity_gate.
LOGGED_FEATURES: tuple[str, ...] = (*FEATURES, "depth_usd")
DEPTH_SCALE_USD = 2_000_000.0
#: Columns of the meta-label model's input matrix, in order.
MODEL_INPUTS: tuple[str, ...] = ("confidence", *FEATURES, "is_runner", "is_long")

SCALP_SHARE = 0.72
SCALP_TIMEOUT_S = 1_800.0
RUNNER_TIMEOUT_S = 86_400.0
BASE_LOGIT = np.array([-0.30, -0.95])  # scalp ~43 %, runner ~28 % before any gate
COST_SCALE = np.array([8.0, 30.0])  # spread that costs one logit unit, bps
# How suitable each regime (trend, range, volatile) is for each mode, 0..1.
REGIME_FIT = np.array([[0.55, 0.80, 0.30], [0.80, 0.35, 0.50]])
TREND_STRENGTH = np.array([0.70, 0.20, 0.45])
VOLUME_LEVEL = np.array([1.10, 0.85, 1.45])
# The Engine's own net-edge estimate: intercept, slope on the true logit, noise (bps).
EDGE_A, EDGE_B, EDGE_S = np.array([4.5, 7.0]), np.array([5.0, 11.0]), np.array([4.5, 9.0])


@dataclass(frozen=True)
class Era:
    """The market's true rules: coefficients of the win probability's logit."""

    name: str
    momentum: tuple[float, float, float]  # per regime (trend, range, volatile)
    imbalance: float
    fit: float
    volume: float
    spread: float
    funding: float


ERAS: tuple[Era, ...] = (
    Era("baseline", (0.65, -0.40, 0.20), 1.10, 1.6, 0.45, 0.70, 0.35),
    Era("crowded", (-0.30, 0.45, -0.40), 0.45, 1.1, 0.15, 0.80, 1.00),
    Era("liquidity_hunt", (0.35, -0.10, 0.50), 1.50, 0.9, 0.80, 1.20, 0.10),
)


@dataclass
class SignalBatch:
    """Columnar signals of one period, sorted by time, with their (hidden) outcomes."""

    ts: np.ndarray  # POSIX seconds
    symbol: np.ndarray  # index into the market's symbols
    mode: np.ndarray  # 0 scalp, 1 runner
    side: np.ndarray  # +1 long, -1 short
    price: np.ndarray
    regime: np.ndarray  # index into market.REGIMES
    confidence: np.ndarray
    features: dict[str, np.ndarray] = field(default_factory=dict)
    p_true: np.ndarray = field(default_factory=lambda: np.empty(0))
    win: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))
    return_bps: np.ndarray = field(default_factory=lambda: np.empty(0))
    holding_s: np.ndarray = field(default_factory=lambda: np.empty(0))
    exit_reason: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.ts)

    def matrix(self) -> np.ndarray:
        """The model's input matrix, columns in :data:`MODEL_INPUTS` order."""
        cols = [self.confidence, *(self.features[f] for f in FEATURES), self.mode == RUNNER, self.side > 0]
        return np.column_stack([np.asarray(c, dtype=float) for c in cols])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-z))
    return out


def _signal_times(market: Market, start_ts: float, end_ts: float, n: int, rng: np.random.Generator) -> np.ndarray:
    # More signals when the market is busy: sample 5-minute steps by activity.
    steps = np.arange(int(market.step_index(start_ts)), int(market.step_index(end_ts - 1)) + 1)
    weights = market.columns(market.symbols[0], market.start_ts + steps * STEP_SECONDS + 1)["activity"]
    chosen = rng.choice(steps, size=n, p=weights / weights.sum())
    ts = market.start_ts + chosen * STEP_SECONDS + rng.uniform(0, STEP_SECONDS, n)
    return np.sort(np.clip(ts, start_ts, end_ts - 1e-3))


def draw_signals(
    market: Market, start_ts: float, end_ts: float, per_day: float, era: Era, rng: np.random.Generator
) -> SignalBatch:
    """Draw the signals arriving in ``[start_ts, end_ts)`` and how each would pay."""
    n = int(rng.poisson(per_day * (end_ts - start_ts) / 86_400.0))
    ts = _signal_times(market, start_ts, end_ts, n, rng)
    weights = np.array([PROFILES[s].weight for s in market.symbols])
    symbol = rng.choice(len(market.symbols), size=n, p=weights / weights.sum())
    mode = (rng.random(n) > SCALP_SHARE).astype(np.int64)
    cols = {k: np.empty(n) for k in ("price", "regime", "trend_dir", "volatility_bps", "momentum_bps", "spread_bps")}
    for i, sym in enumerate(market.symbols):
        mask = symbol == i
        if mask.any():
            c = market.columns(sym, ts[mask])
            for k in cols:
                cols[k][mask] = c[k]
    regime = cols["regime"].astype(np.int64)
    trend_dir = cols["trend_dir"]
    # Signals lean with the trend; elsewhere long and short are equally likely.
    p_long = np.where(regime == TREND, 0.5 + 0.25 * trend_dir, 0.5)
    side = np.where(rng.random(n) < p_long, 1, -1)

    vol_1h = np.maximum(cols["volatility_bps"] * rng.lognormal(0, 0.05, n), 1.0)
    momentum = side * cols["momentum_bps"]
    imbalance = np.clip(rng.normal(0.04, 0.35, n), -1, 1)
    funding = rng.normal(1.0 + 2.0 * trend_dir, 1.5)
    trend_strength = np.clip(TREND_STRENGTH[regime] + rng.normal(0, 0.15, n), 0, 1)
    spread = cols["spread_bps"] * rng.lognormal(0, 0.45, n)  # signals often fire into thin books
    volume_ratio = np.clip(rng.lognormal(np.log(VOLUME_LEVEL[regime]) - 0.05, 0.40), 0.05, 8.0)
    fit = REGIME_FIT[mode, regime]
    regime_score = np.clip(fit + rng.normal(0, 0.12, n), 0, 1)

    m = np.clip(momentum / np.maximum(0.5 * vol_1h, 1.0), -3, 3)
    z = (
        BASE_LOGIT[mode]
        + np.array(era.momentum)[regime] * m
        + era.imbalance * imbalance
        + era.fit * (fit - 0.5)
        + era.volume * np.log(volume_ratio)
        - era.spread * spread / COST_SCALE[mode]
        - era.funding * side * funding / 3.0
    )
    edge = z - BASE_LOGIT[mode]
    net_edge = EDGE_A[mode] + EDGE_B[mode] * edge + rng.normal(0, 1, n) * EDGE_S[mode] - spread / 2
    confidence = np.clip(_sigmoid(0.25 + 0.55 * edge + rng.normal(0, 0.45, n)), 0.01, 0.99)
    p_true = _sigmoid(z)

    batch = SignalBatch(
        ts=ts,
        symbol=symbol,
        mode=mode,
        side=side,
        price=cols["price"],
        regime=regime,
        confidence=np.round(confidence, 4),
        features={
            "net_edge_bps": np.round(net_edge, 2),
            "regime_score": np.round(regime_score, 4),
            "spread_bps": np.round(spread, 3),
            "volume_ratio": np.round(volume_ratio, 4),
            "volatility_1h": np.round(vol_1h, 2),
            "momentum_15m": np.round(momentum, 2),
            "orderbook_imbalance": np.round(imbalance, 4),
            "funding_rate": np.round(funding, 3),
            "trend_strength": np.round(trend_strength, 4),
            "depth_usd": np.round(DEPTH_SCALE_USD * volume_ratio / np.maximum(spread, 0.25), -3),
        },
        p_true=p_true,
    )
    _draw_outcomes(batch, vol_1h, rng)
    return batch


#: The largest win of a runner, in multiples of its stop (stop <= 150 bps: at most 18 %).
RUNNER_MAX_MULTIPLE = 12.0


def _draw_outcomes(b: SignalBatch, vol_1h: np.ndarray, rng: np.random.Generator) -> None:
    """Scalps: tight take-profit / stop-loss, minutes. Runners: hours, a fat right tail."""
    n = len(b)
    win = rng.random(n) < b.p_true
    u = rng.random(n)
    scalp = b.mode == SCALP
    ret = np.empty(n)
    hold = np.empty(n)
    reason = np.empty(n, dtype=np.int64)

    tp = np.clip(0.3 * vol_1h, 8, 60)
    sl = 1.0 * tp
    s_win_tp = scalp & win & (u < 0.85)
    s_win_to = scalp & win & (u >= 0.85)
    s_loss_sl = scalp & ~win & (u < 0.75)
    s_loss_to = scalp & ~win & (u >= 0.75)
    ret[s_win_tp] = tp[s_win_tp]
    ret[s_win_to] = tp[s_win_to] * rng.uniform(0.05, 0.9, s_win_to.sum())
    ret[s_loss_sl] = -sl[s_loss_sl]
    ret[s_loss_to] = -sl[s_loss_to] * rng.uniform(0.05, 0.9, s_loss_to.sum())
    quick = np.minimum(20 + rng.exponential(330, n), SCALP_TIMEOUT_S - 5)
    hold[scalp] = np.where(s_win_to | s_loss_to, SCALP_TIMEOUT_S, quick)[scalp]
    reason[s_win_tp] = TAKE_PROFIT
    reason[s_loss_sl] = STOP_LOSS
    reason[s_win_to | s_loss_to] = TIMEOUT

    runner = ~scalp
    stop = np.clip(0.8 * vol_1h, 30, 150)
    r_win_tp = runner & win & (u < 0.65)
    r_win_to = runner & win & (u >= 0.65)
    r_loss_sl = runner & ~win & (u < 0.8)
    r_loss_to = runner & ~win & (u >= 0.8)
    # Runner wins: a trailing stop locks in a Lomax-distributed multiple of the stop, at most
    # RUNNER_MAX_MULTIPLE stops in a few hours (an uncapped Pareto drew +33,530 bps: a
    # short's exit price below zero, #12).
    tail = np.minimum(0.6 + 1.6 * rng.pareto(2.3, n), RUNNER_MAX_MULTIPLE)
    ret[r_win_tp | r_win_to] = (stop * tail)[r_win_tp | r_win_to]
    ret[r_win_to] *= rng.uniform(0.3, 0.9, r_win_to.sum())
    ret[r_loss_sl] = -stop[r_loss_sl] * rng.uniform(0.85, 1.05, r_loss_sl.sum())
    ret[r_loss_to] = -stop[r_loss_to] * rng.uniform(0.05, 0.8, r_loss_to.sum())
    long_hold = np.clip(rng.lognormal(np.log(3 * 3600), 0.8, n), 600, RUNNER_TIMEOUT_S - 60)
    short_hold = np.clip(rng.lognormal(np.log(1.5 * 3600), 0.8, n), 300, RUNNER_TIMEOUT_S - 60)
    hold[runner] = np.where(r_win_to | r_loss_to, RUNNER_TIMEOUT_S, np.where(win, long_hold, short_hold))[runner]
    reason[r_win_tp] = TAKE_PROFIT
    reason[r_loss_sl] = STOP_LOSS
    reason[r_win_to | r_loss_to] = TIMEOUT

    # Round away from zero so that a win never rounds to a 0 bps "loss".
    b.return_bps = np.where(win, np.maximum(np.round(ret, 2), 0.01), np.minimum(np.round(ret, 2), -0.01))
    b.win = win
    b.holding_s = np.round(hold, 1)
    b.exit_reason = reason
