"""Shared helpers for the records tests (journal, learning, registry, evolution).

``records_db`` writes events into the real :class:`huracan.store.Store` in a temporary
data dir and yields a connection over its ``v_<type>`` views. Until the store room has
landed, it falls back to an in-memory DuckDB built to the column contract of
docs/contracts.md (envelope + model fields, nested values as JSON text, ``day``).
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

import duckdb

from huracan.events import EVENT_TYPES, EventBase, LiveOutcome, ShadowOutcome, ShadowTrade, Signal

T0 = datetime(2025, 11, 3, 12, 0, tzinfo=UTC)


def _duck_type(annotation: Any) -> str:
    ann = annotation
    while typing.get_origin(ann) is typing.Annotated:
        ann = typing.get_args(ann)[0]
    origin = typing.get_origin(ann)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        if len(args) == 1:
            return _duck_type(args[0])
        return "JSON"
    if origin is typing.Literal:
        return "VARCHAR"
    if origin is not None:
        return "JSON"
    if isinstance(ann, type):
        if issubclass(ann, bool):
            return "BOOLEAN"
        if issubclass(ann, Enum) or issubclass(ann, str):
            return "VARCHAR"
        if issubclass(ann, int):
            return "BIGINT"
        if issubclass(ann, float):
            return "DOUBLE"
        if issubclass(ann, datetime):
            return "TIMESTAMPTZ"
    return "JSON"


def _fallback_conn(events: Sequence[EventBase]) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(":memory:")
    conn.execute("SET TimeZone = 'UTC'")
    for etype, cls in EVENT_TYPES.items():
        cols = {name: _duck_type(f.annotation) for name, f in cls.model_fields.items()}
        ddl = ", ".join(f'"{c}" {"VARCHAR" if t == "JSON" else t}' for c, t in cols.items())
        conn.execute(f"CREATE TABLE ev_{etype} ({ddl}, day DATE)")
        rows = []
        for e in events:
            if e.type != etype:
                continue
            row = []
            for c, t in cols.items():
                v = getattr(e, c)
                if t == "JSON":
                    v = None if v is None else json.dumps(e.model_dump(mode="json")[c])
                elif isinstance(v, Enum):
                    v = v.value
                row.append(v)
            row.append(e.ts.astimezone(UTC).date())
            rows.append(row)
        if rows:
            conn.executemany(f"INSERT INTO ev_{etype} VALUES ({', '.join('?' * (len(cols) + 1))})", rows)
        conn.execute(f"CREATE VIEW v_{etype} AS SELECT * FROM ev_{etype}")
    return conn


@contextmanager
def records_db(tmp_path: Path, events: Sequence[EventBase]) -> Iterator[Any]:
    """A connection over the ``v_<type>`` views holding ``events``."""
    try:
        from huracan.store import Store  # type: ignore[attr-defined]
    except ImportError:
        conn = _fallback_conn(events)
        try:
            yield conn
        finally:
            conn.close()
        return
    from huracan.config import load_config

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
