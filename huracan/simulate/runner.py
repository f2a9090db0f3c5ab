"""``simulate()``: run the Engine and Hamilton over simulated days and emit every event.

Example (an in-memory run; the CLI wires the EventLogger and the model registry)::

    summary = simulate(settings, days=3, seed=7, signals_per_day=300,
                       emit=logger.log, registry=ModelRegistry(settings, logger.log))
    summary.events_by_type["signal"]

The same seed gives the same events, ids included. Events are emitted in time order
(the registry emits its own ``model_registered`` / ``model_export`` when called).
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from huracan.events import EventBase, future_cutoff, trusted_timestamps
from huracan.simulate.engine import Engine
from huracan.simulate.gates import load_gate_rules
from huracan.simulate.hamilton import Hamilton
from huracan.simulate.learner import LearnerName
from huracan.simulate.market import Market
from huracan.simulate.ports import Emit, IdSource, Registry
from huracan.simulate.signals import ERAS, Era, draw_signals

if TYPE_CHECKING:
    from huracan.config import Settings

__all__ = ["DEFAULT_SYMBOLS", "SimSummary", "sim_window", "simulate"]

DEFAULT_SYMBOLS: tuple[str, ...] = ("BTC-USD", "ETH-USD", "SOL-USD")
DAY = 86_400.0
UNACKED_LAST_EXPORT_PROB = 0.35
STRICT_THRESHOLD = 0.80


@dataclass
class SimSummary:
    """What a simulation wrote, for the CLI's closing table and for callers."""

    start: datetime
    end: datetime
    days: int
    seed: int
    symbols: tuple[str, ...]
    signals_per_day: int
    events_by_type: dict[str, int] = field(default_factory=dict)
    signals: int = 0
    shadow_trades: int = 0
    blocked: int = 0
    live_trades: int = 0
    models_registered: list[str] = field(default_factory=list)
    models_exported: list[str] = field(default_factory=list)
    models_loaded: list[str] = field(default_factory=list)
    daily_auc: list[float] = field(default_factory=list)
    eras: list[tuple[str, str]] = field(default_factory=list)
    open_at_end: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sim_window(days: int, end: date | None = None, today: date | None = None) -> tuple[datetime, datetime]:
    """``[start, end)`` of ``days`` whole UTC days ending with ``end`` (default: yesterday).

    The last day must be over: ingest rejects events from the future (#12).
    """
    if days < 1:
        raise ValueError(f"days must be at least 1 (got {days})")
    last = end or ((today or datetime.now(UTC).date()) - timedelta(days=1))
    stop = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
    if stop > future_cutoff():
        yesterday = datetime.now(UTC).date() - timedelta(days=1)
        raise ValueError(
            f"the last simulated day {last.isoformat()} is not over yet: its events would be in the future, "
            f"which ingest rejects; end on {yesterday.isoformat()} or earlier"
        )
    return stop - timedelta(days=days), stop


class _OrderedEmitter:
    """Holds events until simulated time passes them, then emits them oldest first."""

    def __init__(self, emit: Emit, flush: Callable[[], object] | None, flush_every: int) -> None:
        self._emit = emit
        self._flush = flush
        self._flush_every = flush_every
        self._heap: list[tuple[float, int, EventBase]] = []
        self._seq = itertools.count()
        self.counts: Counter[str] = Counter()

    def push(self, event: EventBase) -> None:
        heapq.heappush(self._heap, (event.ts.timestamp(), next(self._seq), event))

    def release_until(self, ts: float) -> None:
        since_flush = 0
        while self._heap and self._heap[0][0] < ts:
            event = heapq.heappop(self._heap)[2]
            self._emit(event)
            self.counts[event.type] += 1
            since_flush += 1
            # Give the logger's writer time to drain: a day is a burst of ~10^4 events.
            if self._flush is not None and since_flush >= self._flush_every:
                self._flush()
                since_flush = 0
        if self._flush is not None and since_flush:
            self._flush()

    def discard(self) -> int:
        """Drop what happens after the simulated end (positions still open)."""
        n = len(self._heap)
        self._heap.clear()
        return n


def _era_schedule(days: int, rng: np.random.Generator) -> list[Era]:
    """The market's rules per day: a regime shift every week or two."""
    eras, current, last_change = [], 0, 0
    for d in range(days):
        if d >= 3 and d - last_change >= 6 and rng.random() < 0.12:
            current = int(rng.choice([i for i in range(len(ERAS)) if i != current]))
            last_change = d
        eras.append(ERAS[current])
    if days >= 14 and all(e is ERAS[0] for e in eras):
        shift = days // 2
        eras[shift:] = [ERAS[1]] * (days - shift)
    return eras


def simulate(
    settings: Settings | None,
    *,
    emit: Emit,
    registry: Registry | Callable[[Emit], Registry],
    days: int = 30,
    seed: int = 7,
    symbols: Sequence[str] = DEFAULT_SYMBOLS,
    signals_per_day: int = 1000,
    end: date | None = None,
    learner: LearnerName = "hgb",
    history_days: int = 5,
    snapshot_minutes: int = 15,
    progress: Callable[[int, int], object] | None = None,
    flush: Callable[[], object] | None = None,
    flush_every: int = 4_000,
    today: date | None = None,
) -> SimSummary:
    """Simulate ``days`` days of the Engine and Hamilton, emitting every event.

    ``emit`` receives each event (``EventLogger.log`` or ``list.append``); ``registry``
    registers, exports and verifies models. Pass a factory ``registry(emit) -> Registry``
    (e.g. ``lambda e: ModelRegistry(settings, e)``) to have the registry's own events
    time-ordered, counted and given seeded ids like every other event. ``progress(done_days, days)`` is called
    after each day; ``flush()`` every ``flush_every`` events lets a logger drain.
    """
    if signals_per_day < 1:
        raise ValueError(f"signals_per_day must be at least 1 (got {signals_per_day})")
    start, stop = sim_window(days, end, today)
    # Outcomes of the last day's trades are built before they are discarded at ``stop``
    # (never emitted): their ts may lie after the real clock.
    with trusted_timestamps():
        return _run(settings, start, stop, days, seed, signals_per_day, symbols, emit, registry, learner,
                    history_days, snapshot_minutes, progress, flush, flush_every)  # fmt: skip


def _run(
    settings: Settings | None,
    start: datetime,
    stop: datetime,
    days: int,
    seed: int,
    signals_per_day: int,
    symbols: Sequence[str],
    emit: Emit,
    registry: Registry | Callable[[Emit], Registry],
    learner: LearnerName,
    history_days: int,
    snapshot_minutes: int,
    progress: Callable[[int, int], object] | None,
    flush: Callable[[], object] | None,
    flush_every: int,
) -> SimSummary:
    syms = tuple(symbols)
    market_rng, signal_rng, engine_rng, hamilton_rng, scenario_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)
    )
    hist_start = start - timedelta(days=history_days)
    market = Market(syms, hist_start, history_days + days + 2, market_rng)
    ids = IdSource(seed)
    out = _OrderedEmitter(emit, flush, flush_every)
    if not isinstance(registry, Registry):
        registry = registry(lambda e: out.push(e.model_copy(update={"event_id": ids.event_id()})))
    hamilton = Hamilton(registry, out.push, ids, hamilton_rng)
    rules = load_gate_rules(settings)
    engine = Engine(market, rules, registry, hamilton, out.push, ids, engine_rng, learner=learner, seed=seed)

    engine.add_history(
        draw_signals(market, hist_start.timestamp(), start.timestamp(), signals_per_day, ERAS[0], signal_rng)
    )
    eras = _era_schedule(days, scenario_rng)
    unacked_last = bool(scenario_rng.random() < UNACKED_LAST_EXPORT_PROB)
    strict_day = int(scenario_rng.integers(4, days - 6)) if days >= 12 else -1
    strict_at = float(scenario_rng.uniform(9.5, 12.5)) * 3600
    has_meta = any(r.name == "meta_label" and "scalp" in r.thresholds for r in rules)

    for d in range(days):
        t0 = start + timedelta(days=d)
        engine.train(t0, acknowledge=not (unacked_last and d == days - 1))
        if d:
            engine.autotune(d, t0 + timedelta(minutes=5))
        changes: list[tuple[float, Callable[[], None]]] = []
        if d == strict_day and has_meta:
            at = t0 + timedelta(seconds=strict_at)

            def tighten(day: int = d, when: datetime = at) -> None:
                engine.change_threshold(
                    day,
                    when,
                    "meta_label",
                    "scalp",
                    STRICT_THRESHOLD,
                    "desk:maria",
                    "tighten after two losing sessions until the new model is reviewed",
                )

            changes.append((at.timestamp(), tighten))
        t0s = t0.timestamp()
        batch = draw_signals(market, t0s, t0s + DAY, signals_per_day, eras[d], signal_rng)
        engine.run_day(d, batch, changes)
        engine.snapshots(t0s, t0s + DAY, snapshot_minutes * 60.0)
        out.release_until(t0s + DAY)
        if progress is not None:
            progress(d + 1, days)

    return SimSummary(
        start=start,
        end=stop,
        days=days,
        seed=seed,
        symbols=syms,
        signals_per_day=signals_per_day,
        events_by_type=dict(sorted(out.counts.items())),
        signals=engine.counts["signals"],
        shadow_trades=engine.counts["shadow_trades"],
        blocked=engine.counts["blocked"],
        live_trades=hamilton.trades,
        models_registered=list(engine.registered),
        models_exported=list(engine.exported),
        models_loaded=list(hamilton.loaded),
        daily_auc=list(engine.aucs),
        eras=[((start + timedelta(days=d)).date().isoformat(), e.name) for d, e in enumerate(eras)],
        open_at_end=out.discard(),
    )
