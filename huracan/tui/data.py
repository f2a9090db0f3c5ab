"""What the dashboard shows, read through a connection-like reader (see
``huracan.daemon.access``) so it works with and without a running daemon."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Literal

from huracan.analytics.decision_trace import Timeline, TraceNotFound, trace_signal
from huracan.analytics.evolution import ModelVersion, lineage, model_line, model_version
from huracan.analytics.gate_explainer import GateReport, SignalExplanation, explain_signal, gate_report
from huracan.analytics.metric_context import bind_days
from huracan.config import Settings
from huracan.plugins.builtin.metrics.gates import FLOW_SQL
from huracan.store.attestation import Attestation
from huracan.store.journal import TradeFilter, fetch_rows, list_shadow_trades, live_vs_shadow, with_views
from huracan.store.registry import ModelRegistry

__all__ = [
    "Filters",
    "ModelDetail",
    "ModelRow",
    "Overview",
    "TradeDetail",
    "gates",
    "load_overview",
    "model_detail",
    "models",
    "models_signature",
    "trade_detail",
    "trades",
]


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
    # The metrics' own definitions (signals of the day, passed = every gate passed), so the
    # dashboard and `huracan metrics` print the same numbers for the same day (#12).
    flow = fetch_rows(conn, bind_days(FLOW_SQL, day, day))
    ov.signals, ov.passed = (int(flow[0]["rows"]), int(flow[0]["passed"])) if flow else (0, 0)
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


@dataclass(frozen=True)
class Filters:
    """What the trade list shows: every field optional (days are UTC, inclusive)."""

    mode: str | None = None
    regime: str | None = None
    symbol: str | None = None
    since: date | None = None
    until: date | None = None
    #: "taken" (shadow trades) or "blocked" (signals the gates stopped, with what they would have made)
    kind: Literal["taken", "blocked"] = "taken"

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in (("mode", self.mode), ("regime", self.regime), ("symbol", self.symbol)) if v]
        if self.since or self.until:
            parts.append(f"days {self.since or '…'}..{self.until or '…'}")
        return ", ".join(parts) or "none"

    def trade_filter(self) -> TradeFilter:
        return TradeFilter(
            mode=self.mode, regime=self.regime, symbol=self.symbol, since=self.since, until=self.until, status="closed"
        )


def trades(conn: Any, filters: Filters, limit: int = 300) -> list[dict[str, Any]]:
    """Closed shadow trades, or blocked signals with their counterfactual, newest first."""
    if filters.kind == "taken":
        return list_shadow_trades(conn, filters.trade_filter(), limit=limit)
    where, params = replace(filters.trade_filter(), status=None).where()  # counterfactuals have no status
    sql = with_views("journal_counterfactuals") + (
        f"SELECT * FROM journal_counterfactuals {where} ORDER BY closed_at DESC, signal_id LIMIT {int(limit)}"
    )
    return fetch_rows(conn, sql, params)


def gates(conn: Any, day: date | None, specs: Mapping[str, Any] | None) -> GateReport:
    """The gate report the CLI prints (``huracan gates report``): targets, verdicts, accuracy."""
    return gate_report(conn, day, specs)


def models_signature(conn: Any) -> tuple[Any, ...]:
    """Counts that change when a model is registered, exported or acknowledged (cheap to read)."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM v_model_registered), (SELECT count(*) FROM v_model_export), "
        "(SELECT count(*) FROM v_model_loaded)"
    ).fetchone()
    return tuple(row or ())


@dataclass
class ModelRow:
    """One model as ``huracan models list`` sees it: version, readiness and chain state."""

    version: ModelVersion
    auc_delta: float | None
    state: str
    detail: str


def models(conn: Any, settings: Settings, limit: int = 40) -> list[ModelRow]:
    """The newest models first, with readiness and attestation state (the CLI's functions)."""
    registry = ModelRegistry(settings, store=conn)
    now = datetime.now(UTC)
    out: list[ModelRow] = []
    for row in reversed(model_line(registry)[-limit:]):
        v = row["version"]
        chain = registry.attestation(v.model_id, now, verify_artifact=False)
        d = row["deltas_vs_parent"].get("auc")
        out.append(ModelRow(v, d["delta"] if d else None, chain.state, chain.detail))
    return out


@dataclass
class ModelDetail:
    """The export tracker's view of one model."""

    version: ModelVersion
    attestation: Attestation
    lineage: list[dict[str, Any]]
    #: live vs shadow per (mode, symbol, day) for this model, from Hamilton's outcomes
    live: list[dict[str, Any]] = field(default_factory=list)


def model_detail(conn: Any, settings: Settings, model_id: str) -> ModelDetail:
    """Lineage, readiness reasons, exports, artifact verification, acks and live results."""
    registry = ModelRegistry(settings, store=conn)
    mid = registry.resolve(model_id)
    return ModelDetail(
        version=model_version(registry, mid),
        attestation=registry.attestation(mid, datetime.now(UTC)),
        lineage=lineage(registry, mid),
        live=live_vs_shadow(conn, model_id=mid),
    )


@dataclass
class TradeDetail:
    """One decision: every gate's explanation, the (counterfactual) outcome and its trace."""

    explanation: SignalExplanation
    trace: Timeline | None


def trade_detail(conn: Any, signal_id: str, specs: Mapping[str, Any] | None) -> TradeDetail:
    """``huracan explain`` and ``huracan trace`` for one signal."""
    explanation = explain_signal(conn, signal_id, specs)
    try:
        timeline: Timeline | None = trace_signal(conn, signal_id)
    except TraceNotFound:
        timeline = None
    return TradeDetail(explanation, timeline)
