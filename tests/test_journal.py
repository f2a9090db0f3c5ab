"""The trade journal views and queries, over real DuckDB (the store when it exists)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from test_journal_fixtures import T0, closed_trade, live_trade, records_db

from huracan.events import ShadowOutcome, ShadowTrade
from huracan.store.journal import (
    TradeFilter,
    create_journal_views,
    daily_pnl,
    fetch_rows,
    list_shadow_trades,
    live_vs_shadow,
    shadow_trade_stats,
)

D1, D2 = date(2025, 11, 4), date(2025, 11, 5)
MODEL = "a" * 64
OTHER = "b" * 64


def _book() -> list:
    ev: list = []
    spec = [  # (ret, day, mode, regime, symbol)
        (12.0, D1, "scalp", "trend", "BTC-USD"),
        (-4.0, D1, "scalp", "range", "ETH-USD"),
        (30.0, D1, "runner", "trend", "BTC-USD"),
        (-20.0, D2, "runner", "volatile", "SOL-USD"),
        (6.0, D2, "scalp", "trend", "BTC-USD"),
    ]
    for i, (ret, day, mode, regime, sym) in enumerate(spec):
        ev += closed_trade(i, ret, day=day, mode=mode, regime=regime, symbol=sym, model_id=MODEL)
    return ev


def test_filters_by_mode_regime_symbol_day_and_return(tmp_path: Path) -> None:
    with records_db(tmp_path, _book()) as conn:
        assert len(list_shadow_trades(conn)) == 5
        scalp = list_shadow_trades(conn, TradeFilter(mode="scalp"))
        assert sorted(r["return_bps"] for r in scalp) == [-4.0, 6.0, 12.0]
        assert [r["trade_id"] for r in list_shadow_trades(conn, TradeFilter(regime="volatile"))] == ["st-3"]
        assert {r["symbol"] for r in list_shadow_trades(conn, TradeFilter(symbol="BTC-USD"))} == {"BTC-USD"}
        on_d2 = list_shadow_trades(conn, TradeFilter(since=D2, until=D2))
        assert sorted(r["trade_id"] for r in on_d2) == ["st-3", "st-4"]
        mid = list_shadow_trades(conn, TradeFilter(min_bps=0, max_bps=15))
        assert sorted(r["return_bps"] for r in mid) == [6.0, 12.0]
        newest = list_shadow_trades(conn, limit=1)[0]
        assert newest["trade_id"] == "st-4" and newest["status"] == "closed"
        assert newest["holding_seconds"] == 600.0 and newest["predicted_win_prob"] == 0.6


def test_filter_rejects_reversed_ranges() -> None:
    with pytest.raises(ValueError, match="swap"):
        TradeFilter(since=D2, until=D1)
    with pytest.raises(ValueError, match="min_bps"):
        TradeFilter(min_bps=5, max_bps=1)


def test_open_trades_and_counterfactuals_are_kept_apart(tmp_path: Path) -> None:
    ev = _book()
    ev.append(
        ShadowTrade(
            ts=T0,
            trade_id="st-open",
            signal_id="sig-open",
            symbol="BTC-USD",
            mode="scalp",
            regime="trend",
            side="long",
            entry_price=10.0,
        )
    )
    ev.append(
        ShadowOutcome(
            ts=T0 + timedelta(hours=1),
            signal_id="sig-blocked",
            symbol="BTC-USD",
            mode="scalp",
            regime="trend",
            side="long",
            counterfactual=True,
            blocked_by=["cost_gate"],
            entry_price=10.0,
            exit_price=10.1,
            return_bps=100.0,
            win=True,
            holding_seconds=60,
            decision_timestamp=T0,
            label_cutoff_timestamp=T0 + timedelta(minutes=1),
        )
    )
    with records_db(tmp_path, ev) as conn:
        assert len(list_shadow_trades(conn)) == 5  # closed only by default
        opened = list_shadow_trades(conn, TradeFilter(status="open"))
        assert [r["trade_id"] for r in opened] == ["st-open"] and opened[0]["return_bps"] is None
        assert shadow_trade_stats(conn)["all"].count == 5
        create_journal_views(conn)
        cf = fetch_rows(conn, "SELECT signal_id, return_bps FROM journal_counterfactuals")
        assert cf == [{"signal_id": "sig-blocked", "return_bps": 100.0}]


def test_stats_by_group_match_numpy(tmp_path: Path) -> None:
    with records_db(tmp_path, _book()) as conn:
        overall = shadow_trade_stats(conn)["all"]
        r = np.array([12.0, -4.0, 30.0, -20.0, 6.0])
        assert overall.total_bps == pytest.approx(r.sum())
        assert overall.profit_factor == pytest.approx(48 / 24)
        daily = np.array([38.0, -14.0])
        assert overall.sharpe == pytest.approx(daily.mean() / daily.std(ddof=1) * np.sqrt(365))
        by_mode = shadow_trade_stats(conn, by="mode")
        assert set(by_mode) == {"scalp", "runner"}
        assert by_mode["runner"].total_bps == 10.0 and by_mode["scalp"].win_rate == pytest.approx(2 / 3)
        assert shadow_trade_stats(conn, by="regime")["trend"].count == 3
        assert shadow_trade_stats(conn, TradeFilter(symbol="SOL-USD"))["all"].max_drawdown_bps == 20.0
        assert shadow_trade_stats(conn, TradeFilter(symbol="XRP-USD")) == {}
        with pytest.raises(ValueError, match="cannot group"):
            shadow_trade_stats(conn, by="side")  # type: ignore[arg-type]


def test_analytics_views(tmp_path: Path) -> None:
    with records_db(tmp_path, _book()) as conn:
        names = create_journal_views(conn)
        assert {"journal_trades", "journal_trade_features", "journal_trade_outcomes", "journal_shadow_trades"} <= set(
            names
        )
        rows = daily_pnl(conn)
        assert [(r["day"], r["mode"], r["trades"], r["total_bps"]) for r in rows] == [
            (D1, "runner", 1, 30.0),
            (D1, "scalp", 2, 8.0),
            (D2, "runner", 1, -20.0),
            (D2, "scalp", 1, 6.0),
        ]
        assert [r["regime"] for r in daily_pnl(conn, by="regime", since=D2)] == ["trend", "volatile"]
        assert daily_pnl(conn, by="symbol", until=D1)[0]["symbol"] == "BTC-USD"
        feats = fetch_rows(
            conn, "SELECT feature, value FROM journal_trade_features WHERE trade_id = 'st-0' ORDER BY feature"
        )
        assert feats == [{"feature": "spread_bps", "value": 2.0}, {"feature": "volatility_1h", "value": 0.5}]


def test_live_outcomes_join_the_shadow_record_of_the_same_model(tmp_path: Path) -> None:
    ev = _book()
    ev += [
        live_trade(0, 2.0, day=D1, model_id=MODEL),
        live_trade(1, 4.0, day=D1, model_id=MODEL),
        live_trade(2, -3.0, day=D2, model_id=OTHER, mode="runner", symbol="SOL-USD"),
    ]
    with records_db(tmp_path, ev) as conn:
        rows = live_vs_shadow(conn)
        key = {(r["model_id"][:1], r["mode"], r["symbol"], r["day"]): r for r in rows}
        btc = key[("a", "scalp", "BTC-USD", D1)]
        assert (btc["live_trades"], btc["shadow_trades"]) == (2, 1)
        assert btc["live_avg_bps"] == 3.0 and btc["shadow_avg_bps"] == 12.0 and btc["gap_bps"] == -9.0
        # A different model's live trade never borrows this model's shadow record.
        sol_other = key[("b", "runner", "SOL-USD", D2)]
        assert sol_other["shadow_trades"] == 0 and sol_other["gap_bps"] is None
        assert key[("a", "runner", "SOL-USD", D2)]["live_trades"] == 0
        assert {r["model_id"] for r in live_vs_shadow(conn, model_id="bbb")} == {OTHER}
        assert all(r["day"] == D1 for r in live_vs_shadow(conn, since=D1, until=D1))
