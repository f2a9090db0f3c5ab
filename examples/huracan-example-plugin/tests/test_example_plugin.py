"""Testing a plugin with the fixtures Huracan ships: fresh plugin managers, fake entry points, an in-memory store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import huracan_example_plugin as plugin
import pytest

from huracan.analytics.gate_explainer import explain_signal
from huracan.analytics.metric_context import MetricContext, NoDataError, QueryCache
from huracan.config import load_config
from huracan.events import Signal
from huracan.plugins.testing import (
    FakeDistribution,
    FakeEntryPoint,
    decision_events,
    events_connection,
    fake_entry_points,
    make_plugins,
)

DAY = date(2025, 11, 6)


def signal(sid: str, depth: float, minute: int = 0) -> Signal:
    return Signal(
        ts=datetime(2025, 11, 6, 10, tzinfo=UTC) + timedelta(minutes=minute), signal_id=sid, symbol="SOL-USD",
        mode="scalp", regime="range", side="short", price=150.0, confidence=0.7, features={"depth_usd": depth},
    )  # fmt: skip


def test_registered_through_the_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(
        monkeypatch, FakeDistribution("huracan-example-plugin", "0.1.0", [FakeEntryPoint("example", plugin)])
    )
    plugins = make_plugins(entry_points=True)
    (row,) = plugins.describe()
    assert row["name"] == "example" and row["origin"] == "entry point"
    assert row["gates"] == ["liquidity_gate"]
    assert row["metrics"] == ["example.median_depth_usd", "example.thin_book_share"]


def test_liquidity_gate_blocks_a_thin_book() -> None:
    gates = make_plugins(plugin).gates()
    events = decision_events(gates, signal("thin", 100_000.0), meta_prob=0.6, return_bps=-4.0)
    ex = explain_signal(events_connection(events), "thin", gates)
    assert ex.blocked_by == ["liquidity_gate"] and ex.block_quality == "good_block"
    assert ex.gates[0].sentence.startswith(
        "Liquidity gate REJECTED: order-book depth 100000.00 usd below 250000.00 usd"
    )


def _ctx(conn: object) -> MetricContext:
    return MetricContext(day=DAY, settings=load_config(), cache=QueryCache(conn, DAY, DAY))


def test_metrics_over_the_days_signals() -> None:
    conn = events_connection([signal("a", 100_000.0, 1), signal("b", 300_000.0, 2), signal("c", 900_000.0, 3)])
    metrics = make_plugins(plugin).metrics()
    depth = metrics["example.median_depth_usd"].compute(_ctx(conn))
    thin = metrics["example.thin_book_share"].compute(_ctx(conn))
    assert depth.value == 300_000.0 and depth.row_count == 3
    assert thin.value == pytest.approx(1 / 3) and (thin.n, thin.successes) == (3, 1)
    assert "DATE '2025-11-06'" in thin.query and thin.tables == ("v_signal",)


def test_no_signals_is_no_data_not_an_error() -> None:
    with pytest.raises(NoDataError, match="no signal carried a depth_usd feature"):
        make_plugins(plugin).metrics()["example.thin_book_share"].compute(_ctx(events_connection()))
