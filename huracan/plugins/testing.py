"""Helpers for testing plugins (ours and third parties'): fresh managers, fake entry points, a store in memory.

Like pluggy's own test suite: a fresh plugin manager per test, plugins as small
classes in the test, and entry points faked by replacing
``importlib.metadata.distributions`` rather than installing packages.

Example::

    >>> from huracan.plugins import hookimpl
    >>> from huracan.plugins.types import LearnerSpec
    >>> class MyPlugin:
    ...     @hookimpl
    ...     def huracan_register_learners(self, settings):
    ...         return [LearnerSpec("mine", fit=print, predict_proba=print, dumps=bytes, loads=print)]
    >>> sorted(make_plugins(MyPlugin()).learners())
    ['mine']
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from huracan.plugins.manager import ENTRY_POINT_GROUP, Plugins, get_plugins

if TYPE_CHECKING:
    import duckdb
    import pytest

    from huracan.config import Settings
    from huracan.events import EventBase, Signal
    from huracan.plugins.types import GateSpec

__all__ = [
    "FakeDistribution",
    "FakeEntryPoint",
    "decision_events",
    "events_connection",
    "fake_entry_points",
    "make_plugins",
]


def make_plugins(
    *plugins: Any,
    settings: Settings | None = None,
    default_plugins: Sequence[str] = (),
    entry_points: bool = False,
) -> Plugins:
    """A fresh :class:`Plugins` with only ``plugins`` (and no built-ins unless asked)."""
    from huracan.config import load_config

    return get_plugins(
        settings or load_config(), entry_points=entry_points, plugins=plugins, default_plugins=default_plugins
    )


@dataclass
class FakeEntryPoint:
    """Stands in for :class:`importlib.metadata.EntryPoint`; ``target`` is the loaded object or an exception."""

    name: str
    target: Any
    group: str = ENTRY_POINT_GROUP
    value: str = ""

    def load(self) -> Any:
        if isinstance(self.target, BaseException):
            raise self.target
        return self.target


@dataclass
class FakeDistribution:
    """Stands in for :class:`importlib.metadata.Distribution` (name, version, entry points)."""

    name: str
    version: str
    entry_points: list[FakeEntryPoint] = field(default_factory=list)

    @property
    def metadata(self) -> Mapping[str, str]:
        return {"name": self.name, "version": self.version}


def fake_entry_points(monkeypatch: pytest.MonkeyPatch, *dists: FakeDistribution | SimpleNamespace) -> None:
    """Make ``importlib.metadata.distributions()`` return exactly ``dists`` for this test."""
    monkeypatch.setattr(importlib.metadata, "distributions", lambda **_: list(dists))


def events_connection(events: Iterable[EventBase] = ()) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding ``events`` in one ``v_<type>`` table per event type.

    The columns are exactly the store's (``huracan.store.schema.arrow_schema``), so a
    function that reads the store's ``v_*`` views can be tested without a data dir.
    Every type gets a table, empty when no event of it was given.
    """
    import duckdb

    from huracan.events import EVENT_TYPES
    from huracan.store.schema import arrow_schema, events_to_arrow, group_by_type

    conn = duckdb.connect()
    grouped = group_by_type(events)
    for event_type in EVENT_TYPES:
        batch = grouped.get(event_type)
        table = events_to_arrow(batch, event_type) if batch else arrow_schema(event_type).empty_table()
        conn.register("_huracan_load", table)
        conn.execute(f"CREATE TABLE v_{event_type} AS SELECT * FROM _huracan_load")
        conn.unregister("_huracan_load")
    return conn


def decision_events(
    gates: Mapping[str, GateSpec],
    signal: Signal,
    meta_prob: float,
    return_bps: float | None,
    *,
    spans_ms: Mapping[str, float] | None = None,
    holding_seconds: float = 600.0,
) -> list[EventBase]:
    """Every event the Engine logs for one decision, consistent with each other.

    The signal, one ``gate_decision`` per gate (:func:`evaluate_gates`), then either a
    ``shadow_trade`` and its ``shadow_outcome`` (all gates passed) or a counterfactual
    ``shadow_outcome`` naming the failing gates; ``return_bps=None`` leaves the outcome
    out. ``spans_ms`` (step name → duration) adds a ``decision_trace``, steps back to back.
    """
    from datetime import timedelta

    from huracan.events import DecisionTrace, ShadowOutcome, ShadowTrade, Span
    from huracan.plugins.builtin.gates import evaluate_gates

    decisions = evaluate_gates(gates, signal, meta_prob)
    failed = [d.gate for d in decisions if not d.passed]
    out: list[EventBase] = [signal, *decisions]
    trade_id = None
    if not failed:
        trade_id = f"st-{signal.signal_id}"
        out.append(
            ShadowTrade(
                ts=signal.ts, trade_id=trade_id, signal_id=signal.signal_id, symbol=signal.symbol,
                mode=signal.mode, regime=signal.regime, side=signal.side, entry_price=signal.price,
                predicted_win_prob=meta_prob,
            )
        )  # fmt: skip
    if return_bps is not None:
        closed = signal.ts + timedelta(seconds=holding_seconds)
        out.append(
            ShadowOutcome(
                ts=closed, signal_id=signal.signal_id, trade_id=trade_id, symbol=signal.symbol,
                mode=signal.mode, regime=signal.regime, side=signal.side, counterfactual=bool(failed),
                blocked_by=failed, entry_price=signal.price, exit_price=signal.price * (1 + return_bps / 10_000),
                return_bps=return_bps, win=return_bps > 0, holding_seconds=holding_seconds,
                decision_timestamp=signal.ts, label_cutoff_timestamp=closed,
            )
        )  # fmt: skip
    if spans_ms:
        spans, t = [], 0.0
        for name, d in spans_ms.items():
            spans.append(Span(name=name, start_offset_ms=t, duration_ms=d))
            t += d
        out.append(
            DecisionTrace(
                ts=signal.ts, signal_id=signal.signal_id, spans=spans,
                outcome="blocked" if failed else "shadow_trade",
            )
        )  # fmt: skip
    return out
