"""Shared helpers for the records tests (journal, learning, registry, evolution).

``records_db`` writes events into the real :class:`huracan.store.Store` in a temporary
data dir and yields a cursor over its ``v_<type>`` views.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from huracan.config import load_config
from huracan.events import EventBase, LiveOutcome, ShadowOutcome, ShadowTrade, Signal
from huracan.store import Store

T0 = datetime(2025, 11, 3, 12, 0, tzinfo=UTC)


@contextmanager
def records_db(tmp_path: Path, events: Sequence[EventBase]) -> Iterator[Any]:
    """A connection over the ``v_<type>`` views holding ``events``."""
    store = Store.open(load_config(data_dir=tmp_path / "data"))
    try:
        store.write_events(list(events))
        yield store.cursor()
    finally:
        store.close()


def closed_trade(
    i: int,
    ret: float,
    *,
    day: date | None = None,
    mode: str = "scalp",
    regime: str = "trend",
    symbol: str = "BTC-USD",
    model_id: str | None = None,
    held: float = 600.0,
    features: dict[str, float] | None = None,
) -> list[EventBase]:
    """A signal, its shadow trade and the trade's close ``ret`` bps later."""
    opened = (
        T0 + timedelta(minutes=i)
        if day is None
        else datetime(day.year, day.month, day.day, 10, tzinfo=UTC) + timedelta(minutes=i)
    )
    sid, tid = f"sig-{i}", f"st-{i}"
    entry = 100.0
    return [
        Signal(
            ts=opened,
            signal_id=sid,
            symbol=symbol,
            mode=mode,
            regime=regime,
            side="long",
            price=entry,
            confidence=0.7,
            features=features or {"volatility_1h": 0.5, "spread_bps": 2.0},
        ),
        ShadowTrade(
            ts=opened,
            trade_id=tid,
            signal_id=sid,
            symbol=symbol,
            mode=mode,
            regime=regime,
            side="long",
            entry_price=entry,
            model_id=model_id,
            predicted_win_prob=0.6,
        ),
        ShadowOutcome(
            ts=opened + timedelta(seconds=held + 1),
            signal_id=sid,
            trade_id=tid,
            symbol=symbol,
            mode=mode,
            regime=regime,
            side="long",
            entry_price=entry,
            exit_price=entry * (1 + ret / 10_000),
            return_bps=ret,
            win=ret > 0,
            holding_seconds=held,
            model_id=model_id,
            decision_timestamp=opened,
            label_cutoff_timestamp=opened + timedelta(seconds=held),
        ),
    ]


def live_trade(
    i: int, ret: float, *, day: date, model_id: str, mode: str = "scalp", symbol: str = "BTC-USD"
) -> LiveOutcome:
    at = datetime(day.year, day.month, day.day, 11, tzinfo=UTC) + timedelta(minutes=i)
    return LiveOutcome(
        ts=at + timedelta(minutes=5),
        live_trade_id=f"lt-{i}",
        model_id=model_id,
        symbol=symbol,
        mode=mode,
        regime="trend",
        side="long",
        return_bps=ret,
        win=ret > 0,
        slippage_bps=1.5,
        decision_timestamp=at,
        label_cutoff_timestamp=at + timedelta(minutes=4),
    )
