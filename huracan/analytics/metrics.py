"""The metrics computer: every registered metric of a day into a :class:`MetricsSnapshot`.

For the report day *and* the seven days before it, each metric's ``compute(ctx)`` is
called with a :class:`~huracan.analytics.metric_context.MetricContext` whose daily
queries run once over the whole window (grouped by day), so eight days cost about
what one does. The report day's values then get their interval (Wilson for rates,
the plugin's own otherwise), comparisons with yesterday and the 7-day mean
(:mod:`huracan.analytics.comparisons`), a status from the alert rules and targets, and
the snapshot gets a self-check, Hamilton readiness, alert events and insights.

A metric whose compute raises is ``no_data`` with the plugin's name and the error, and
the plugin is listed in ``snapshot.disabled_plugins``; the snapshot is still produced.

Example::

    >>> from huracan.analytics.metrics import compute_snapshot
    >>> snap = compute_snapshot(store, date(2025, 11, 6), get_plugins(settings), settings)  # doctest: +SKIP
    >>> snap.metrics["shadow_win_rate.scalp"].value  # doctest: +SKIP
    0.612
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from huracan.analytics.comparisons import Observation, compare, observation
from huracan.analytics.format import format_number
from huracan.analytics.metric_context import MetricContext, NoDataError, QueryCache
from huracan.analytics.metric_reasons import explain_rule, target_reason
from huracan.analytics.metric_rules import parse_rule
from huracan.analytics.snapshot import Interval, MetricsSnapshot, MetricValue, Provenance, SnapshotCheck
from huracan.analytics.stats import wilson_interval
from huracan.events import Alert, Severity
from huracan.plugins.types import MetricResult, MetricSpec
from huracan.redact import error_text

__all__ = ["COMPARISON_DAYS", "alert_name", "compute_snapshot", "connection_of", "evaluate_status"]

#: Days before the report day that are computed for the comparisons.
COMPARISON_DAYS = 7
_SEVERITIES = (("critical", "critical", Severity.CRITICAL), ("warning", "warning", Severity.WARNING))


def connection_of(store_or_conn: Any) -> Any:
    """A connection-like object: a Store's own cursor, or the object itself."""
    if hasattr(store_or_conn, "cursor") and not hasattr(store_or_conn, "fetchall"):
        return store_or_conn.cursor()
    if hasattr(store_or_conn, "execute"):
        return store_or_conn
    raise TypeError(
        f"compute_snapshot needs a Store or a connection with execute(); got {type(store_or_conn).__name__}"
    )


@dataclass
class _Outcome:
    result: MetricResult | None = None
    no_data: str = ""
    query: str = ""
    tables: tuple[str, ...] = ()
    failed: str = ""


def _specs(plugins: Any) -> tuple[dict[str, MetricSpec], dict[str, str], dict[str, str]]:
    if isinstance(plugins, Mapping):
        return dict(plugins), {}, {}
    specs = plugins.metrics()
    # owners("metrics") computes only the metrics registry (describe() would build
    # every notifier and learner too).
    owners = plugins.owners("metrics") if hasattr(plugins, "owners") else {}
    return specs, owners, dict(plugins.disabled)


def _evaluate(spec: MetricSpec, ctx: MetricContext) -> _Outcome:
    try:
        result = spec.compute(ctx)
    except NoDataError as exc:
        return _Outcome(no_data=exc.reason, query=exc.query, tables=exc.tables)
    except Exception as exc:
        from huracan.store.cold import archive_error

        if archive_error(exc) is not None:  # issue 15: no snapshot at all, never a partial one
            raise
        return _Outcome(failed=error_text(exc))  # redacted: plugin text reaches digests and prompts
    if not isinstance(result, MetricResult):
        return _Outcome(failed=f"compute returned {type(result).__name__}, expected MetricResult")
    if result.value is not None and not math.isfinite(result.value):
        return _Outcome(failed=f"compute returned a non-finite value ({result.value})")
    if result.value is None:
        return _Outcome(result=result, no_data=f"no data on {ctx.day.isoformat()}", query=result.query)
    return _Outcome(result=result)


def _env(value: float | None, n: int | None, interval: Interval | None, mv: dict[str, Any]) -> dict[str, Any]:
    env: dict[str, Any] = {"value": value, "n": n, "low": None, "high": None}
    if interval is not None:
        env["low"], env["high"] = interval.low, interval.high
    for key, cmp in (("1d", mv.get("vs_prev_day")), ("7d", mv.get("vs_7d_mean"))):
        env[f"baseline_{key}"] = cmp.baseline if cmp else None
        env[f"delta_{key}"] = cmp.delta if cmp else None
        env[f"pct_{key}"] = cmp.pct_change if cmp else None
    return env


def evaluate_status(spec: MetricSpec, env: Mapping[str, Any]) -> tuple[str, str, list[tuple[Severity, str, str]]]:
    """(status, reason, fired rules) of a value: alert rules first, then the targets.

    The reason is short and in words (``'below 0.0 bps on 58 samples'``,
    ``'below the 87.0 % target'``); each fired rule is (severity, rule text, reason).
    A target miss is at most a warning: only alert rules make a metric critical.
    """
    fired: list[tuple[Severity, str, str]] = []
    status, reason = "ok", ""
    for key, name, sev in (*_SEVERITIES, ("info", "ok", Severity.INFO)):
        rule_text = spec.alerts.get(key)
        if not rule_text:
            continue
        rule = parse_rule(rule_text)
        if rule.evaluate(env):
            why = explain_rule(rule, env, spec.unit, spec.precision)
            fired.append((sev, rule_text, why))
            if status == "ok" and name != "ok":
                status, reason = name, why
    value, t = env.get("value"), spec.targets
    if status == "ok" and t is not None and value is not None:
        missed = target_reason(value, t.min, t.max, spec.unit, spec.precision)
        if missed:
            status, reason = "warning", missed
    return status, reason, fired


def compute_snapshot(
    store_or_conn: Any, day: date, plugins: Any, settings: Any, *, now: datetime | None = None
) -> MetricsSnapshot:
    """Compute every registered metric of ``day`` into a :class:`MetricsSnapshot`.

    Args:
        store_or_conn: a :class:`huracan.store.Store` or any connection-like object
            (``execute(sql).fetchall()`` / ``.description``) over the ``v_<type>`` views.
        day: the UTC day to report.
        plugins: the :class:`~huracan.plugins.manager.Plugins` (or a mapping id → MetricSpec).
        settings: the effective settings (bootstrap resamples, significance level, …).
        now: the ``generated_at`` time (default: now, UTC).
    """
    from huracan.analytics.insights import build_insights
    from huracan.analytics.readiness import snapshot_readiness
    from huracan.plugins.builtin.metrics.catalog import sum_checks

    conn = connection_of(store_or_conn)
    specs, owners, disabled = _specs(plugins)
    days = [day - timedelta(days=k) for k in range(COMPARISON_DAYS, -1, -1)]
    cache = QueryCache(conn, days[0], day)
    base_ctx = MetricContext(day=day, settings=settings, cache=cache)
    alpha = settings.analytics.significance_level
    generated = now or datetime.now(UTC)

    metrics: dict[str, MetricValue] = {}
    alerts: list[dict[str, Any]] = []
    problems: list[str] = []
    for mid, spec in specs.items():
        outcomes = {d: _evaluate(spec, base_ctx.at(d)) for d in days}
        today = outcomes[day]
        plugin = owners.get(mid, "builtin")
        if today.failed:
            disabled.setdefault(plugin, f"metric {mid}: {today.failed}")
        history = [
            o
            for d in days[:-1]
            if (r := outcomes[d].result) is not None and (o := observation(r, spec.unit)) is not None
        ]
        metrics[mid] = _metric_value(spec, today, history, outcomes[days[-2]], plugin, alpha, alerts, generated)
        problems += _range_problems(metrics[mid], spec)

    problems += _sum_problems(metrics, sum_checks(settings))
    snapshot = MetricsSnapshot(
        date=day,
        generated_at=generated,
        metrics=metrics,
        alerts=alerts,
        self_check=SnapshotCheck(passed=not problems, problems=problems),
        disabled_plugins=disabled,
    )
    snapshot.readiness = snapshot_readiness(conn, day, snapshot, settings)
    snapshot.insights = build_insights(snapshot)
    return snapshot


def _metric_value(
    spec: MetricSpec,
    today: _Outcome,
    history: list[Observation],
    yesterday: _Outcome,
    plugin: str,
    alpha: float,
    alerts: list[dict[str, Any]],
    generated: datetime,
) -> MetricValue:
    r = today.result
    value = r.value if r is not None else None
    interval = _interval(r)
    mv: dict[str, Any] = {}
    obs = observation(r, spec.unit) if r is not None else None
    prev = observation(yesterday.result, spec.unit) if yesterday.result is not None else None
    mv["vs_prev_day"] = compare(obs, [prev] if prev else [], spec.unit, spec.precision, alpha)
    mv["vs_7d_mean"] = compare(obs, history, spec.unit, spec.precision, alpha, min_days=2)
    if value is None:
        status = "no_data"
        reason = f"plugin {plugin} failed: {today.failed}" if today.failed else today.no_data
    else:
        env = _env(value, r.n if r else None, interval, mv)
        status, reason, fired = evaluate_status(spec, env)
        for severity, rule, why in fired:
            alerts.append(_alert(spec, value, severity, rule, why, generated))
    query = r.query if r is not None else today.query
    tables = list(r.tables) if r is not None else list(today.tables)
    return MetricValue(
        id=spec.id,
        name=spec.name,
        description=spec.description,
        category=spec.category,
        unit=spec.unit,  # type: ignore[arg-type]
        precision=spec.precision,
        value=value,
        formula=spec.formula,
        provenance=Provenance(query=query or "", row_count=r.row_count if r else 0, tables=tables),
        targets=spec.targets,
        higher_is_better=spec.higher_is_better,
        status=status,  # type: ignore[arg-type]
        status_reason=reason,
        n=r.n if r else None,
        interval=interval,
        plugin=plugin,
        key=spec.key,
        synonyms=tuple(spec.synonyms),
        parts={k: tuple(v) for k, v in spec.parts.items()},
        **mv,
    )


def _interval(r: MetricResult | None) -> Interval | None:
    if r is None or r.value is None:
        return None
    if r.interval is not None:
        low, high, method = r.interval
        return Interval(low=low, high=high, method=method)  # type: ignore[arg-type]
    if r.successes is not None and r.n:
        low, high = wilson_interval(r.successes, r.n)
        return Interval(low=low, high=high, method="wilson")
    return None


def _alert(spec: MetricSpec, value: float, severity: Severity, rule: str, why: str, ts: datetime) -> dict[str, Any]:
    # One name per metric and level: the daemon's AlertDispatcher holds back repeats of
    # a *name* for its cooldown, so a shared name would silence every other metric.
    level = severity.value.lower()
    event = Alert(
        ts=ts,
        severity=severity,
        name=alert_name(spec.id, level),
        message=f"{spec.name} is {format_number(value, spec.unit, spec.precision)}: {why}",
        component=spec.category,
        metric_id=spec.id,
        value=value,
        threshold=parse_rule(rule).threshold,
    )
    return event.model_dump(mode="json")


def alert_name(metric_id: str, level: str) -> str:
    """The stable name of a metric's alert: ``metric.<metric id>.<level>``.

    >>> alert_name("shadow_pnl_bps.runner", "warning")
    'metric.shadow_pnl_bps.runner.warning'
    """
    return f"metric.{metric_id}.{level}"


def _range_problems(m: MetricValue, spec: MetricSpec) -> list[str]:
    low, high = spec.range
    if m.value is None:
        return []
    if (low is not None and m.value < low) or (high is not None and m.value > high):
        return [f"{m.id} = {m.value} is outside its declared range [{low}, {high}]"]
    return []


def _sum_problems(metrics: Mapping[str, MetricValue], checks: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    out = []
    for total_id, part_ids in checks:
        total = metrics.get(total_id)
        parts = [metrics.get(p) for p in part_ids]
        if total is None or total.value is None or any(p is None or p.value is None for p in parts):
            continue
        s = sum(p.value for p in parts if p is not None and p.value is not None)
        if not math.isclose(total.value, s, rel_tol=1e-9, abs_tol=1e-6):
            out.append(f"{total_id} = {total.value:g} but its parts {' + '.join(part_ids)} sum to {s:g}")
    return out
