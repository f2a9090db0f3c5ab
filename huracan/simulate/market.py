"""A regime-switching crypto market: prices, regimes, volatility, spreads and volume.

Each symbol follows its own hourly Markov chain over three regimes — ``trend`` (a
directional drift), ``range`` (mean reversion around an anchor) and ``volatile`` (fat
tails, wide spreads, heavy volume) — and a 5-minute price path whose drift and
volatility depend on the regime. Everything is drawn from one seeded numpy generator,
so the same seed gives the same market.

Example::

    >>> import numpy as np
    >>> from datetime import datetime, timezone
    >>> t0 = datetime(2025, 11, 1, tzinfo=timezone.utc)
    >>> m = Market(("BTC-USD",), t0, days=2, rng=np.random.default_rng(7))
    >>> 20_000 < m.state("BTC-USD", t0.timestamp() + 3600).price < 200_000
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np

__all__ = ["PROFILES", "REGIMES", "STEP_SECONDS", "Market", "MarketState", "SymbolProfile", "intraday_activity"]

STEP_SECONDS = 300
STEPS_PER_HOUR = 3600 // STEP_SECONDS
REGIMES: tuple[str, ...] = ("trend", "range", "volatile")
TREND, RANGE, VOLATILE = 0, 1, 2

# Hourly regime transitions (rows: from, columns: to). Mean durations: trend ~2.8 days,
# range ~4 days, volatile ~1 day — crypto spends most of its time drifting or ranging.
TRANSITIONS = np.array(
    [
        [0.985, 0.010, 0.005],
        [0.007, 0.990, 0.003],
        [0.020, 0.022, 0.958],
    ]
)
VOL_MULT = np.array([0.9, 0.6, 1.9])
SPREAD_MULT = np.array([1.0, 0.85, 2.3])
VOLUME_MULT = np.array([1.15, 0.8, 1.8])
# Trend drift in units of the symbol's hourly volatility: strong enough to see, small
# enough that a trend day moves a few percent, as on a real desk.
TREND_DRIFT_SIGMA = 0.12
RANGE_REVERSION = 0.03  # per 5-minute step, towards the range's anchor price


@dataclass(frozen=True)
class SymbolProfile:
    """A tradable symbol's realistic scale."""

    symbol: str
    price: float  # starting mid price, USD
    vol_bps_h: float  # typical hourly volatility, bps
    spread_bps: float  # typical quoted spread, bps
    volume_usd_15m: float  # typical traded volume per 15 minutes, USD
    weight: float  # share of the Engine's signals


PROFILES: dict[str, SymbolProfile] = {
    p.symbol: p
    for p in (
        SymbolProfile("BTC-USD", 67_500.0, 55.0, 2.0, 3.0e8, 0.40),
        SymbolProfile("ETH-USD", 3_150.0, 70.0, 2.8, 1.5e8, 0.30),
        SymbolProfile("SOL-USD", 152.0, 105.0, 4.5, 5.0e7, 0.18),
        SymbolProfile("AVAX-USD", 34.5, 125.0, 5.0, 8.0e6, 0.04),
        SymbolProfile("LINK-USD", 14.8, 115.0, 4.5, 7.0e6, 0.04),
        SymbolProfile("DOGE-USD", 0.162, 130.0, 4.0, 2.0e7, 0.04),
        SymbolProfile("XRP-USD", 0.61, 95.0, 3.0, 2.5e7, 0.05),
    )
}


def intraday_activity(hours: np.ndarray) -> np.ndarray:
    """Relative market activity by UTC hour: busiest when Europe and the US overlap."""
    return 0.7 + 0.8 * np.exp(-(((hours - 15.0) / 4.5) ** 2)) + 0.2 * np.exp(-(((hours - 2.0) / 3.0) ** 2))


@dataclass(frozen=True)
class MarketState:
    """One symbol at one instant."""

    symbol: str
    price: float
    regime: str
    trend_dir: int  # +1 / -1 while trending, 0 otherwise
    volatility_bps: float  # realised over the last hour, bps
    momentum_bps: float  # log return over the last 15 minutes, bps
    spread_bps: float
    volume_usd: float  # traded over the last 15 minutes


class Market:
    """Price paths and regimes for ``symbols`` from ``start`` for ``days`` days."""

    def __init__(self, symbols: tuple[str, ...], start: datetime, days: int, rng: np.random.Generator) -> None:
        unknown = [s for s in symbols if s not in PROFILES]
        if unknown:
            raise ValueError(
                f"unknown symbol(s) {', '.join(unknown)}; the simulator knows {', '.join(PROFILES)} "
                "(pass --symbols with some of these)"
            )
        if not symbols:
            raise ValueError("the market needs at least one symbol")
        self.symbols = symbols
        self.start_ts = start.timestamp()
        self.n_steps = days * 24 * STEPS_PER_HOUR
        self._regime: dict[str, np.ndarray] = {}
        self._trend: dict[str, np.ndarray] = {}
        self._logp: dict[str, np.ndarray] = {}
        self._vol: dict[str, np.ndarray] = {}
        self._mom: dict[str, np.ndarray] = {}
        self._spread: dict[str, np.ndarray] = {}
        self._volume: dict[str, np.ndarray] = {}
        hours = ((self.start_ts + np.arange(self.n_steps) * STEP_SECONDS) // 3600) % 24
        self._activity = intraday_activity(hours)
        for s in symbols:
            self._build(PROFILES[s], rng)

    def _build(self, p: SymbolProfile, rng: np.random.Generator) -> None:
        n_hours = self.n_steps // STEPS_PER_HOUR
        regimes = np.empty(n_hours, dtype=np.int8)
        trend = np.zeros(n_hours, dtype=np.int8)
        r = int(rng.choice(3, p=[0.4, 0.45, 0.15]))
        d = int(rng.choice((-1, 1)))
        u = rng.random(n_hours)
        for h in range(n_hours):
            if h:
                nxt = int(np.searchsorted(np.cumsum(TRANSITIONS[r]), u[h]))
                if nxt == TREND and r != TREND:
                    d = int(rng.choice((-1, 1)))  # a new trend picks its own direction
                r = min(nxt, 2)
            regimes[h] = r
            trend[h] = d if r == TREND else 0
        reg = np.repeat(regimes, STEPS_PER_HOUR)
        tdir = np.repeat(trend, STEPS_PER_HOUR)
        sigma_step = p.vol_bps_h / 1e4 / math.sqrt(STEPS_PER_HOUR)
        # Student-t(4) shocks scaled to unit variance: crypto returns have fat tails.
        shocks = rng.standard_t(4, self.n_steps) / math.sqrt(2.0)
        vol = sigma_step * VOL_MULT[reg] * (1.0 + 0.15 * np.sin(np.arange(self.n_steps) / 97.0))
        drift = tdir * TREND_DRIFT_SIGMA * sigma_step * math.sqrt(STEPS_PER_HOUR) / STEPS_PER_HOUR
        logp = np.empty(self.n_steps)
        x = math.log(p.price)
        anchor = x
        for i in range(self.n_steps):
            if reg[i] == RANGE:
                if i == 0 or reg[i - 1] != RANGE:
                    anchor = x
                x += -RANGE_REVERSION * (x - anchor)
            x += drift[i] + vol[i] * shocks[i]
            logp[i] = x
        rets = np.diff(logp, prepend=logp[0])
        self._regime[p.symbol] = reg
        self._trend[p.symbol] = tdir
        self._logp[p.symbol] = logp
        sq = np.cumsum(rets**2)
        window = STEPS_PER_HOUR
        past = np.concatenate((np.zeros(window), sq[:-window]))
        self._vol[p.symbol] = np.sqrt(np.maximum(sq - past, 0.0)) * 1e4
        self._mom[p.symbol] = (logp - np.concatenate((np.full(3, logp[0]), logp[:-3]))) * 1e4
        self._spread[p.symbol] = p.spread_bps * SPREAD_MULT[reg] * rng.lognormal(0.0, 0.25, self.n_steps)
        self._volume[p.symbol] = (
            p.volume_usd_15m * VOLUME_MULT[reg] * self._activity * rng.lognormal(0.0, 0.35, self.n_steps)
        )

    def step_index(self, ts: np.ndarray | float) -> np.ndarray:
        """The 5-minute step containing each POSIX timestamp (clipped to the path)."""
        idx = ((np.asarray(ts, dtype=float) - self.start_ts) // STEP_SECONDS).astype(np.int64)
        return np.clip(idx, 0, self.n_steps - 1)

    def columns(self, symbol: str, ts: np.ndarray) -> dict[str, np.ndarray]:
        """Vectorised market state of ``symbol`` at each timestamp (see :class:`MarketState`)."""
        i = self.step_index(ts)
        return {
            "price": np.exp(self._logp[symbol][i]),
            "regime": self._regime[symbol][i].astype(np.int64),
            "trend_dir": self._trend[symbol][i].astype(np.int64),
            "volatility_bps": self._vol[symbol][i],
            "momentum_bps": self._mom[symbol][i],
            "spread_bps": self._spread[symbol][i],
            "volume_usd": self._volume[symbol][i],
            "activity": self._activity[i],
        }

    def state(self, symbol: str, ts: float) -> MarketState:
        """The market state of ``symbol`` at POSIX time ``ts``."""
        c = self.columns(symbol, np.array([ts]))
        return MarketState(
            symbol=symbol,
            price=float(c["price"][0]),
            regime=REGIMES[int(c["regime"][0])],
            trend_dir=int(c["trend_dir"][0]),
            volatility_bps=float(c["volatility_bps"][0]),
            momentum_bps=float(c["momentum_bps"][0]),
            spread_bps=float(c["spread_bps"][0]),
            volume_usd=float(c["volume_usd"][0]),
        )
