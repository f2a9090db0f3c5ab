"""What the dashboard shows, read through a connection-like reader (see
``huracan.daemon.access``) so it works with and without a running daemon."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from huracan.store.journal import TradeFilter, fetch_rows, list_shadow_trades

__all__ = ["Overview", "gate_rows", "load_overview", "model_rows", "recent_trades"]


@dataclass
class Overview:
    day: date | None
    events_total: int = 0
    events_day: int = 0
    signals: int = 0
    passed: int = 0
    trades_by_mode: dict[str, dict[str, float]] = field(default_factory=dict)
    training: dict[str, Any] | None = None
    alerts: list[dict[str, Any]] = field(default_factory=list)


def load_overview(conn: Any, day: date | None = None) -> Overview:
    """Headline numbers for ``day`` (default: the last day with Engine data, as every command)."""
    from huracan.analytics.days import report_day

    day = report_day(conn, day)
    ov = Overview(day=day)
    if day is None:
        return ov
    row = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE passed_all) FROM ("
        " SELECT signal_id, bool_and(passed) AS passed_all FROM v_gate_decision WHERE day = ? GROUP BY signal_id)",
        [day],
    ).fetchone()
    ov.signals, ov.passed = (int(row[0]), int(row[1])) if row else (0, 0)
    for r in fetch_rows(
        conn,
        "SELECT mode, count(*) AS trades, avg(CASE WHEN win THEN 1.0 ELSE 0.0 END) AS win_rate, "
        "sum(return_bps) AS pnl_bps FROM v_shadow_outcome WHERE day = ? AND NOT counterfactual GROUP BY mode ORDER BY mode",
        [day],
    ):
        ov.trades_by_mode[r["mode"]] = {"trades": r["trades"], "win_rate": r["win_rate"], "pnl_bps": r["pnl_bps"]}
    rows = fetch_rows(
        conn,
        "SELECT trained_at, model_id, auc, ece, samples_historical + samples_shadow AS samples "
        "FROM v_training_session WHERE day <= ? ORDER BY trained_at DESC LIMIT 2",
        [day],
    )
    if rows:
        ov.training = dict(rows[0])
        if len(rows) > 1:
            ov.training["auc_prev"] = rows[1]["auc"]
    ov.alerts = fetch_rows(
        conn, "SELECT ts, severity, name, message FROM v_alert WHERE day = ? ORDER BY ts DESC LIMIT 20", [day]
    )
    return ov


def recent_trades(conn: Any, limit: int = 200) -> list[dict[str, Any]]:
    return list_shadow_trades(conn, TradeFilter(status="closed"), limit=limit)


def gate_rows(conn: Any, day: date) -> list[dict[str, Any]]:
    return fetch_rows(
        conn,
        "SELECT gate, mode, count(*) AS evaluated, avg(CASE WHEN passed THEN 1.0 ELSE 0.0 END) AS pass_rate, "
        "avg(threshold) AS threshold FROM v_gate_decision WHERE day = ? GROUP BY gate, mode ORDER BY gate, mode",
        [day],
    )


def model_rows(conn: Any, limit: int = 30) -> list[dict[str, Any]]:
    """Each model along the hand-off chain: registered → exported → acknowledged by Hamilton."""
    return fetch_rows(
        conn,
        "SELECT r.model_id, r.ts AS registered_at, r.data_snapshot_id, r.git_sha, "
        "  CAST(r.metrics->>'$.auc' AS DOUBLE) AS auc, CAST(r.metrics->>'$.ece' AS DOUBLE) AS ece, "
        "  e.ts AS exported_at, e.ready, l.ts AS acked_at "
        "FROM v_model_registered r "
        "LEFT JOIN (SELECT model_id, max(ts) AS ts, bool_or(ready) AS ready FROM v_model_export GROUP BY model_id) e "
        "  USING (model_id) "
        "LEFT JOIN (SELECT model_id, min(ts) AS ts FROM v_model_loaded GROUP BY model_id) l USING (model_id) "
        "ORDER BY r.ts DESC LIMIT ?",
        [limit],
    )
